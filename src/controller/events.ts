// Watches Nomad's event stream: Job events so a manual `nomad job run`/`stop` is reconciled at once, and
// Allocation events so an allocation that fails, is lost or comes back (without any change to the job)
// moves the app's health at once. The client reconnects on dropped connections; if the iterator itself
// fails, we back off and resubscribe (the back-off sleeps on the Scheduler).
import type { NomadApi } from '../clients/types.js';
import { toDroverError, type DroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sleep, type Scheduler } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';

export type JobEventHandler = (namespace: string, id: string, job: Record<string, unknown> | undefined, deleted: boolean) => void;

/** The fields of an Allocation event's payload drover reads. */
export interface AllocEvent {
  namespace: string;
  jobId: string;
  id: string;
  clientStatus: string;
  desiredStatus: string;
}

export interface EventHandlers {
  onJob: JobEventHandler;
  onAlloc?: (alloc: AllocEvent) => void;
  /** the stream failed (readiness: Nomad) */
  onError?: (e: DroverError) => void;
  /** a frame arrived (readiness: Nomad answers) */
  onFrame?: () => void;
}

/** Back-off between resubscriptions: 100 ms doubling to 10 s, back to 100 ms once a frame arrives. */
export const RESUBSCRIBE_MS = { first: 100, max: 10_000 } as const;

export async function watchJobEvents(nomad: NomadApi, signal: AbortSignal, logger: Logger, handlers: EventHandlers, scheduler: Scheduler = plainScheduler): Promise<void> {
  const topics = handlers.onAlloc ? ['Job:*', 'Allocation:*'] : ['Job:*'];
  let delay: number = RESUBSCRIBE_MS.first;
  let index: number | undefined;
  while (!signal.aborted) {
    try {
      for await (const frame of nomad.eventStream({ topics, namespace: '*', index, signal })) {
        delay = RESUBSCRIBE_MS.first;
        handlers.onFrame?.();
        if (frame.Index) index = frame.Index + 1;
        for (const ev of frame.Events ?? []) {
          if (ev.Topic === 'Job') {
            const job = ev.Payload?.Job as Record<string, unknown> | undefined;
            handlers.onJob(ev.Namespace || (job?.Namespace as string) || 'default', ev.Key, job, ev.Payload?.Deleted === true);
          } else if (ev.Topic === 'Allocation' && handlers.onAlloc) {
            const a = ev.Payload?.Allocation as Record<string, unknown> | undefined;
            if (!a || typeof a.JobID !== 'string') continue;
            handlers.onAlloc({
              namespace: ev.Namespace || (a.Namespace as string) || 'default', jobId: a.JobID, id: String(a.ID ?? ev.Key),
              clientStatus: String(a.ClientStatus ?? ''), desiredStatus: String(a.DesiredStatus ?? ''),
            });
          }
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      const err = toDroverError(e);
      handlers.onError?.(err);
      logger.warn('nomad event stream failed; resubscribing', { code: err.code, error: err.message, delayMs: delay });
    }
    if (signal.aborted) return;
    await sleep(scheduler, 'event-stream-reconnect', delay, signal);
    delay = Math.min(delay * 2, RESUBSCRIBE_MS.max);
  }
}
