// A cold start writes nothing before Nomad's event stream is open, and the stream starts at the jobs index
// read before the first write: the first apps' allocations and deployments are on the stream, so their health
// settles from it without any re-read. Reproduced first in `npm run bench`: the stream opened after the first
// registrations and Nomad's event buffer (100 batches) no longer held them, so those apps showed Progressing
// until a resync re-read them.
import test from 'ava';
import { appYaml, startHarness } from './harness.js';

test('cold start with a slow event stream: every app settles from the stream, with no resync and no health re-read', async (t) => {
  // the resync is an hour away: nothing but the stream can settle health
  const h = await startHarness(t, { config: { resyncIntervalMs: 3_600_000 } });
  const files: Record<string, string> = {};
  for (let i = 0; i < 60; i++) files[`apps/a${i}.yaml`] = appYaml(`a${i}`);
  await h.source.commit(files);
  // the subscription is answered late: registrations made meanwhile would push the first ones out of the buffer
  h.sim.server.setFaults({ latencyMs: 400, match: '^GET /v1/event/stream' });
  await h.controller.start();
  await h.until('all 60 apps Healthy', () => h.controller.listApps().filter((a) => a.health === 'Healthy').length === 60, 30_000);
  const reads = h.sim.server.count((k) => k === 'GET /v1/job/:id/allocations' || k === 'GET /v1/job/:id/deployment');
  t.is(reads, 0, JSON.stringify(h.sim.server.counterSnapshot()));
  t.is(h.sim.server.count((k) => k === 'PUT /v1/jobs'), 60);
});

test('registers answered after their events: health from the events that came first, one register per app, no failed pass', async (t) => {
  // Nomad commits a register and publishes its events before its HTTP answer arrives; here each answer is held
  // back 500 ms after the commit, so the allocations are placed and running before drover hears of its write.
  const h = await startHarness(t, {
    config: { resyncIntervalMs: 3_600_000 },
    wrapNomad: (n) => new Proxy(n, {
      get(target, prop) {
        if (prop === 'registerJob') {
          return async (...args: Parameters<typeof n.registerJob>) => {
            const r = await target.registerJob(...args);
            await new Promise((resolve) => setTimeout(resolve, 500));
            return r;
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }),
  });
  const files: Record<string, string> = {};
  for (let i = 0; i < 12; i++) files[`apps/b${i}.yaml`] = appYaml(`b${i}`);
  await h.source.commit(files);
  await h.controller.start();
  await h.until('all 12 apps Healthy', () => h.controller.listApps().filter((a) => a.health === 'Healthy').length === 12, 30_000)
    .catch((e: Error) => t.fail(`${e.message}: ${JSON.stringify(h.controller.listApps().map((a) => [a.name, a.health, a.healthReasons, a.lastError?.message]))}`));
  await h.controller.idle();
  t.is(h.sim.server.count((k) => k === 'PUT /v1/jobs'), 12, JSON.stringify(h.sim.server.counterSnapshot()));
  t.deepEqual(h.controller.listApps().filter((a) => a.lastError).map((a) => `${a.name}: ${a.lastError!.message}`), []);
});
