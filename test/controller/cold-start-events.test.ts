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
