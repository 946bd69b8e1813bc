// The premise of the cross-app service-name rule (src/spec/cross.ts), checked on a real Consul agent
// (test/helpers/consul-agent.ts): one catalog for every Nomad namespace, names matched case-insensitively,
// so `Web` from one app and `web` from another are one service to every reader — Traefik's consulCatalog
// provider included (it reads /v1/catalog/service/<name>). Skipped without an agent, unless CI requires one.
import test from 'ava';
import { startRealConsul } from '../helpers/consul-agent.js';

const real = await startRealConsul();

if ('unavailable' in real) {
  if (process.env.DROVER_REQUIRE_REAL_CONSUL === '1') test('real Consul agent is required (DROVER_REQUIRE_REAL_CONSUL=1) but unavailable', (t) => t.fail(real.unavailable));
  else test.skip(`real Consul: service names meet case-insensitively (skipped: ${real.unavailable})`, () => undefined);
} else {
  test.after.always(() => real.close());
  test(`real Consul ${real.version}: two registrations named Web and web are one service to a catalog reader`, async (t) => {
    const put = (body: object) => fetch(`${real.url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify(body) });
    t.is((await put({ ID: 'a-1', Name: 'Web', Port: 1001, Tags: ['traefik.enable=true'] })).status, 200);
    t.is((await put({ ID: 'b-1', Name: 'web', Port: 1002, Tags: ['traefik.enable=false'] })).status, 200);
    for (const name of ['web', 'Web', 'WEB']) {
      const entries = (await (await fetch(`${real.url}/v1/catalog/service/${name}`)).json()) as { ServiceID: string }[];
      t.deepEqual(entries.map((e) => e.ServiceID).sort(), ['a-1', 'b-1'], name);
    }
  });
}
