// `npm run demo`: drover on examples/apps against the embedded simulated cluster, no real cluster needed.
// It starts the simulated Nomad/Consul/Vault on loopback, turns examples/apps into a real git
// repository in a temp dir, runs `drover run` against both and prints where to look. Ctrl-C stops it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimCluster } from '@drover/sim';
import { runDrover } from '../src/main.js';

const host = '127.0.0.1';
const port = (name: string, def: number) => Number(process.env[name] ?? def);

const sim = await startSimCluster({
  host,
  nomadPort: port('DEMO_NOMAD_PORT', 4646),
  consulPort: port('DEMO_CONSUL_PORT', 8500),
  vaultPort: port('DEMO_VAULT_PORT', 8200),
  allocDelayMs: 300,
  // examples/apps/003 deploys a second httpbackend into namespace tenant-b; Nomad rejects unknown namespaces
  nomad: { namespaces: ['default', 'tenant-b'] },
});

const repo = mkdtempSync(join(tmpdir(), 'drover-demo-repo-'));
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
git('init', '-q', '-b', 'main');
git('config', 'user.email', 'demo@drover.invalid');
git('config', 'user.name', 'drover demo');
cpSync(join(process.cwd(), 'examples', 'apps'), join(repo, 'apps'), { recursive: true });
git('add', '-A');
git('commit', '-q', '-m', 'Apps from the four seeds');

const listen = process.env.DROVER_LISTEN ?? `${host}:8080`;
const drover = await runDrover(
  {
    ...process.env,
    NOMAD_ADDR: sim.urls.nomad,
    CONSUL_HTTP_ADDR: sim.urls.consul,
    VAULT_ADDR: sim.urls.vault,
    VAULT_TOKEN: process.env.VAULT_TOKEN ?? 'root',
    DROVER_GIT_URL: repo,
    DROVER_GIT_REF: 'main',
    DROVER_GIT_PATH: 'apps',
    DROVER_GIT_POLL_INTERVAL: process.env.DROVER_GIT_POLL_INTERVAL ?? '5s',
    DROVER_LISTEN: listen,
    DROVER_LOG_FORMAT: process.env.DROVER_LOG_FORMAT ?? 'pretty',
    // The node registrar against the simulated node's Docker Engine and weave router: seed 003's
    // tenant in its own weave subnet gets its service registered with the weave address.
    DROVER_REGISTRAR: 'on',
    DOCKER_HOST: sim.urls.docker.replace(/^http:/, 'tcp:'),
    WEAVE_ROUTER_ADDR: sim.urls.weave,
    DROVER_REGISTRAR_INTERVAL: '1s',
  },
  { shutdownHooks: false },
);

const say = (s: string) => process.stdout.write(`${s}\n`);
say('');
say('drover demo is running (simulated cluster — not a real Nomad).');
say(`  web UI          ${drover.url}/`);
say(`  app status      ${drover.url}/apps`);
say(`  one app         ${drover.url}/apps/default/webservice`);
say(`  metrics         ${drover.url}/metrics`);
say(`  readiness       ${drover.url}/readyz?verbose`);
say(`  simulated Nomad ${sim.urls.nomad}/v1/jobs   (Consul ${sim.urls.consul}, Vault ${sim.urls.vault})`);
say(`  the git repo    ${repo}  — commit a change under apps/ and watch it roll out (polled every 5s)`);
say('Press Ctrl-C to stop.');
say('');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await drover.close();
  await sim.close();
  rmSync(repo, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
