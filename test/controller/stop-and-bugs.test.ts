// Graceful stop and bugs (issue #9), against the simulated Nomad through the real client, with the
// controller's timers on the fake clock: stop() waits for a register in flight (bounded), no write
// starts after it, reads are aborted; an exception that is not a DroverError is a bug — terminal,
// counted in drover_bugs_total, logged with its cause — not server-error retried forever.
import test from 'ava';
import type { NomadApi } from '../../src/clients/types.js';
import type { LogFields, Logger } from '../../src/core/logger.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { appYaml, nomadWrites, startHarness } from './harness.js';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

test('stop() waits for a register in flight, then reports drained; nothing is written after it', async (t) => {
  const clock = new FakeClock();
  const hold = gate();
  let registersStarted = 0;
  const h = await startHarness(t, {
    scheduler: clock,
    wrapNomad: (n): NomadApi => Object.assign(Object.create(n) as NomadApi, {
      registerJob: async (...args: Parameters<NomadApi['registerJob']>) => {
        registersStarted++;
        await hold.p;
        return n.registerJob(...args);
      },
    }),
  });
  await h.controller.start();
  await h.source.commit({ 'web.yaml': appYaml('web'), 'api.yaml': appYaml('api') });
  await h.until('a register in flight', () => registersStarted >= 1);
  let result: { drained: boolean } | undefined;
  const stopping = h.controller.stop(10_000).then((r) => (result = r));
  await clock.advance(9_000);
  t.is(result, undefined, 'stop() has not returned while the register is in flight');
  hold.open();
  await stopping;
  t.deepEqual(result, { drained: true });
  const writes = nomadWrites(h);
  t.is(writes, registersStarted, 'every register that started landed; none started after stop()');
  await h.source.commit({ 'web.yaml': appYaml('web', { count: 3 }) });
  await clock.advance(120_000);
  t.is(nomadWrites(h), writes, 'a stopped controller writes nothing');
});

test('stop() gives up on a write that hangs past its bound and says so (drained: false)', async (t) => {
  const clock = new FakeClock();
  let registering = false;
  const h = await startHarness(t, {
    scheduler: clock,
    wrapNomad: (n): NomadApi => Object.assign(Object.create(n) as NomadApi, {
      registerJob: () => {
        registering = true;
        return new Promise(() => undefined);
      },
    }),
  });
  await h.controller.start();
  await h.source.commit({ 'web.yaml': appYaml('web') });
  await h.until('a register in flight', () => registering);
  const stopping = h.controller.stop(5_000);
  await clock.advance(5_000);
  t.deepEqual(await stopping, { drained: false });
});

test('stop() aborts reads in flight at once: a hanging job read does not hold it up', async (t) => {
  const clock = new FakeClock();
  let reading = false;
  const h = await startHarness(t, {
    scheduler: clock,
    wrapNomad: (n): NomadApi => Object.assign(Object.create(n) as NomadApi, {
      readJob: (id: string, o: { signal?: AbortSignal } = {}) => {
        reading = true;
        return new Promise((_resolve, reject) => o.signal?.addEventListener('abort', () => reject(o.signal!.reason), { once: true }));
      },
    }),
  });
  await h.controller.start();
  await h.source.commit({ 'web.yaml': appYaml('web') });
  await h.until('a read in flight', () => reading);
  t.deepEqual(await h.controller.stop(60_000), { drained: true }, 'returned without the clock moving');
});

test('an unexpected exception is a bug: terminal, drover_bugs_total, logged with its cause; not retried', async (t) => {
  const clock = new FakeClock();
  const errors: LogFields[] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (_m, f) => void errors.push(f ?? {}), child: () => logger };
  let reads = 0;
  const h = await startHarness(t, {
    scheduler: clock,
    logger,
    // Every way a pass can touch the job throws a TypeError, as a bug in drover would (a create skips the
    // read when the job listing shows no job, so the register must fail the same way).
    wrapNomad: (n): NomadApi => Object.assign(Object.create(n) as NomadApi, {
      readJob: async () => {
        reads++;
        const job = undefined as unknown as { TaskGroups: unknown[] };
        return job.TaskGroups;
      },
      registerJob: async () => {
        reads++;
        const job = undefined as unknown as { TaskGroups: unknown[] };
        return job.TaskGroups;
      },
    }),
  });
  await h.controller.start();
  await h.source.commit({ 'web.yaml': appYaml('web') });
  await h.until('web failed', () => h.controller.getApp('default', 'web')?.lastError !== undefined);
  await h.controller.idle(10_000);
  const before = reads;
  // Backoff retries (capped at 100 ms in the harness) would all have fired by now; the next periodic
  // resync (60 s) looks again, as it does for any app — a bug is not re-queued on its own.
  await clock.advance(59_000);
  t.is(reads, before, 'not retried with backoff');
  t.is(await h.metric('drover_workqueue_retries_total'), 0);
  t.is(h.controller.getApp('default', 'web')?.lastError?.code, 'internal');
  // (the snapshot's own resync may have looked once more right after the first pass failed)
  t.true(before >= 1 && before <= 2, `reads: ${before}`);
  t.is(await h.metric('drover_bugs_total', { where: 'reconcile' }), before, 'each bug counted once');
  t.is(await h.metric('drover_reconcile_errors_total', { code: 'server-error' }), 0);
  const logged = errors.find((e) => e.where === 'reconcile');
  t.truthy(logged, JSON.stringify(errors));
  t.regex(String(logged!.cause), /TypeError: Cannot read properties of undefined \(reading 'TaskGroups'\)\n\s+at /);
});
