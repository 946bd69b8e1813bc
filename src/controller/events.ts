// Watches Nomad's event stream for Job events so a manual `nomad job run`/`stop` is reconciled at once.
// The client reconnects on dropped connections; if the iterator itself fails, we back off and resubscribe.
import type { NomadApi } from '../clients/types.js';
import { toDroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export type JobEventHandler = (namespace: string, id: string, job: Record<string, unknown> | undefined, deleted: boolean) => void;

export async function watchJobEvents(nomad: NomadApi, signal: AbortSignal, logger: Logger, onJob: JobEventHandler): Promise<void> {
  let delay = 100;
  let index: number | undefined;
  while (!signal.aborted) {
    try {
      for await (const frame of nomad.eventStream({ topics: ['Job:*'], namespace: '*', index, signal })) {
        delay = 100;
        if (frame.Index) index = frame.Index + 1;
        for (const ev of frame.Events ?? []) {
          if (ev.Topic !== 'Job') continue;
          const job = ev.Payload?.Job as Record<string, unknown> | undefined;
          onJob(ev.Namespace || (job?.Namespace as string) || 'default', ev.Key, job, ev.Payload?.Deleted === true);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      const err = toDroverError(e);
      logger.warn('nomad event stream failed; resubscribing', { code: err.code, error: err.message, delayMs: delay });
    }
    if (signal.aborted) return;
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 10_000);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    t.unref?.();
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
