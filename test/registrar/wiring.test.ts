// `drover run` with DROVER_REGISTRAR=on: the app built by runDrover registers a weave proxy-mode app's
// service in the node's Consul with the weave address — the whole path from git to Consul.
import test from 'ava';
import { createRepo } from '../helpers/git.js';
import { eventually, startNode } from './helpers.js';
import { runDrover } from '../../src/main.js';

const APP = `apiVersion: drover.io/v1alpha1
kind: App
metadata:
  name: tenant-api
spec:
  image: ghcr.io/example/api:1.0
  port: 8080
  weave:
    subnet: 10.32.1.0/24
`;

test('drover run with DROVER_REGISTRAR=on registers the weave address of a proxy-mode app', async (t) => {
  const node = await startNode(t);
  const repo = createRepo({ files: { 'apps/tenant-api.yaml': APP } });
  t.teardown(() => repo.remove());
  const docker = new URL(node.docker.server.url);
  const drover = await runDrover(
    {
      NOMAD_ADDR: node.nomad.server.url, CONSUL_HTTP_ADDR: node.consulSim.server.url,
      DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps', DROVER_LISTEN: '127.0.0.1:0', DROVER_LOG_LEVEL: 'error',
      DROVER_REGISTRAR: 'on', DROVER_REGISTRAR_INTERVAL: '100ms',
      DOCKER_HOST: `tcp://${docker.hostname}:${docker.port}`, WEAVE_ROUTER_ADDR: node.weave.server.url,
    },
    { shutdownHooks: false },
  );
  t.teardown(() => drover.close());

  const job = await eventually(async () => (await node.nomadApi.readJob('tenant-api')).value ?? undefined, 15_000, 'job registered by drover');
  t.falsy(job.TaskGroups[0]!.Tasks[0]!.Services, 'Nomad must not register a proxy-mode service itself');
  node.startContainer(job);

  const svc = await eventually(async () => {
    const all = await node.consulApi.agentServices();
    return Object.values(all).find((s) => s.Service === 'tenant-api');
  }, 10_000, 'registration in Consul');
  t.true(svc.Address!.startsWith('10.32.1.'), `weave address expected, got ${svc.Address}`);
  t.is(svc.Port, 8080);
  const metrics = await (await fetch(`${drover.url}/metrics`)).text();
  t.regex(metrics, /drover_registrar_services\{state="registered"\} 1/);
});
