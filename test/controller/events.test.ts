// The event-stream watcher's resubscribe back-off runs on the Scheduler: 100 ms doubling to 10 s,
// back to 100 ms once a frame arrives; an abort ends it at once. Fake clock, no sleeping.
import test from 'ava';
import type { NomadApi } from '../../src/clients/types.js';
import { DroverError } from '../../src/core/errors.js';
import { nullLogger } from '../../src/core/logger.js';
import type { EventFrame } from '../../src/core/nomad-types.js';
import { EventWatcher } from '../../src/controller/events.js';
import { FakeClock } from '../helpers/fake-clock.js';

test('resubscribe back-off: 100 ms doubling to 10 s, reset by a frame; abort ends the watch', async (t) => {
  const clock = new FakeClock(0);
  const attempts: number[] = [];
  let deliverOn = 6; // the 6th subscription yields one frame, then fails
  const nomad = {
    listNamespaces: async () => ['default'],
    eventStream: () => ({
      async *[Symbol.asyncIterator](): AsyncGenerator<EventFrame> {
        attempts.push(clock.now());
        if (attempts.length === deliverOn) yield { Index: 7, Events: [{ Topic: 'Job', Type: 'JobRegistered', Key: 'web', Namespace: 'default', Index: 7, Payload: { Job: { ID: 'web' } } }] } as unknown as EventFrame;
        throw new DroverError('unavailable', 'nomad: connection refused', { upstream: 'nomad' });
      },
    }),
  } as unknown as NomadApi;
  const abort = new AbortController();
  const jobs: string[] = [];
  const done = new EventWatcher(nomad, abort.signal, nullLogger, { onJob: (_ns, id) => jobs.push(id) }, clock).start();
  while (attempts.length < 9) await clock.next('event-stream-reconnect');
  const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
  t.deepEqual(gaps, [100, 200, 400, 800, 1600, 100, 200, 400]);
  t.deepEqual(jobs, ['web']);
  deliverOn = 0;
  for (let i = 0; i < 10; i++) await clock.next('event-stream-reconnect');
  t.is(clock.pending('event-stream-reconnect')[0]?.dueIn, 10_000, 'capped at 10 s');
  abort.abort();
  await done;
  t.deepEqual(clock.pending(), []);
});
