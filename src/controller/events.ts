// Watches Nomad's event stream for the controller: Job events (a manual `nomad job run`/`stop` is
// reconciled at once; the event carries the whole job, so no read is needed), and Allocation, Deployment
// and Evaluation events, which carry the whole object too: health follows a rollout, a lost allocation or
// a placement failure from the stream, without polling Nomad. Service events (Nomad's own catalog) have the
// app's provider-nomad services verified again when a registration of its job comes or goes.
//
// Two facts of a real Nomad shape this (issue #11):
// - `namespace=*` is expanded into the namespaces that exist when the stream opens
//   (nomad/event_endpoint.go): a namespace created later sends nothing on it. The watcher remembers what it
//   subscribed to, and the controller asks for a new subscription when a job or app shows up elsewhere.
// - a restarted cluster with fresh state counts its Raft index from 1 again: the client reports the index
//   going backwards and the controller starts over (every app read afresh).
// The client reconnects on dropped connections; if the iterator itself fails, the watcher backs off and
// resubscribes (the back-off sleeps on the Scheduler).
import type { NomadApi } from '../clients/types.js';
import { toDroverError, type DroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sleep, type Scheduler } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';

export type JobEventHandler = (namespace: string, id: string, job: Record<string, unknown> | undefined, deleted: boolean) => void;

export interface EventHandlers {
  onJob: JobEventHandler;
  /** Allocation, Deployment and Evaluation payloads, with the job they belong to */
  onAllocation?: (namespace: string, jobId: string, alloc: Record<string, unknown>) => void;
  onDeployment?: (namespace: string, jobId: string, deployment: Record<string, unknown>) => void;
  onEvaluation?: (namespace: string, jobId: string, evaluation: Record<string, unknown>) => void;
  /** a registration of Nomad's own service catalog (provider nomad) of this job was added or removed */
  onService?: (namespace: string, jobId: string) => void;
  /** the cluster's index went backwards (a restarted cluster): everything known is stale */
  onIndexReset?: () => void;
  /** the stream's connection dropped and is made again (a restart shows here first: the caller checks the index) */
  onReconnect?: () => void;
  /** the stream failed (readiness: Nomad) */
  onError?: (e: DroverError) => void;
  /** a frame arrived (readiness: Nomad answers) */
  onFrame?: () => void;
  /** Nomad answered a subscription (its connection is open) */
  onOpen?: () => void;
}

/** Back-off between resubscriptions: 100 ms doubling to 10 s, back to 100 ms once a frame arrives. */
export const RESUBSCRIBE_MS = { first: 100, max: 10_000 } as const;

export const EVENT_TOPICS = ['Job:*', 'Allocation:*', 'Deployment:*', 'Evaluation:*', 'Service:*'] as const;

export class EventWatcher {
  private subscription: AbortController | undefined;
  /** the namespaces `namespace=*` stood for when the current stream opened; undefined when they could not be listed */
  private namespaces: Set<string> | undefined;
  private done: Promise<void> | undefined;

  constructor(
    private readonly nomad: NomadApi,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
    private readonly handlers: EventHandlers,
    private readonly scheduler: Scheduler = plainScheduler,
  ) {}

  /**
   * `from`: the index the first subscription starts at (inclusive; Nomad replays what its event buffer still
   * holds from there), e.g. one read before drover wrote anything; undefined = whatever Nomad still buffers.
   */
  start(from?: Promise<number | undefined>): Promise<void> {
    this.done ??= this.loop(from);
    return this.done;
  }

  /** True when `namespace` is one the current stream was opened for (or nothing is known). */
  covers(namespace: string): boolean {
    return this.namespaces === undefined || this.namespaces.has(namespace);
  }

  /** Opens a new stream (from where the old one was) so that namespaces created since are included. */
  resubscribe(reason: string): void {
    if (!this.subscription || this.signal.aborted) return;
    this.logger.info('nomad event stream: subscribing again', { reason });
    this.subscription.abort();
  }

  private async loop(from?: Promise<number | undefined>): Promise<void> {
    let delay: number = RESUBSCRIBE_MS.first;
    let index: number | undefined = await from?.catch(() => undefined);
    while (!this.signal.aborted) {
      const sub = new AbortController();
      this.subscription = sub;
      const stop = () => sub.abort();
      this.signal.addEventListener('abort', stop, { once: true });
      try {
        await this.readNamespaces();
        for await (const frame of this.nomad.eventStream({
          topics: [...EVENT_TOPICS], namespace: '*', index, signal: sub.signal,
          onIndexReset: () => {
            index = undefined;
            this.handlers.onIndexReset?.();
          },
          onReconnect: () => this.handlers.onReconnect?.(),
          onOpen: () => this.handlers.onOpen?.(),
        })) {
          delay = RESUBSCRIBE_MS.first;
          this.handlers.onFrame?.();
          if (frame.Index) index = frame.Index + 1;
          for (const ev of frame.Events ?? []) this.dispatch(ev);
        }
      } catch (e) {
        if (this.signal.aborted) return;
        if (!sub.signal.aborted) {
          const err = toDroverError(e);
          this.handlers.onError?.(err);
          this.logger.warn('nomad event stream failed; resubscribing', { code: err.code, error: err.message, delayMs: delay });
        }
      } finally {
        this.signal.removeEventListener('abort', stop);
      }
      if (this.signal.aborted) return;
      if (sub.signal.aborted) continue; // a resubscription asked for: at once, from the same index
      await sleep(this.scheduler, 'event-stream-reconnect', delay, this.signal);
      delay = Math.min(delay * 2, RESUBSCRIBE_MS.max);
    }
  }

  private async readNamespaces(): Promise<void> {
    try {
      this.namespaces = new Set(await this.nomad.listNamespaces({ signal: this.signal }));
    } catch (e) {
      // Without the list (e.g. no namespace:list capability), new namespaces are found by the resync alone.
      this.namespaces = undefined;
      this.logger.debug('could not list Nomad namespaces', { error: toDroverError(e).message });
    }
  }

  private dispatch(ev: { Topic: string; Key: string; Namespace: string; Payload: Record<string, unknown> }): void {
    const h = this.handlers;
    const ns = (o: Record<string, unknown> | undefined) => ev.Namespace || (o?.Namespace as string) || 'default';
    switch (ev.Topic) {
      case 'Job': {
        const job = ev.Payload?.Job as Record<string, unknown> | undefined;
        h.onJob(ns(job), ev.Key, job, ev.Payload?.Deleted === true);
        return;
      }
      case 'Allocation': {
        const a = ev.Payload?.Allocation as Record<string, unknown> | undefined;
        if (a && typeof a.JobID === 'string') h.onAllocation?.(ns(a), a.JobID, a);
        return;
      }
      case 'Deployment': {
        const d = ev.Payload?.Deployment as Record<string, unknown> | undefined;
        if (d && typeof d.JobID === 'string') h.onDeployment?.(ns(d), d.JobID, d);
        return;
      }
      case 'Evaluation': {
        const e = ev.Payload?.Evaluation as Record<string, unknown> | undefined;
        if (e && typeof e.JobID === 'string') h.onEvaluation?.(ns(e), e.JobID, e);
        return;
      }
      case 'Service': {
        // Nomad's own catalog (provider nomad): Key is the registration's ID, the payload the registration
        // (nomad/state/events.go, TableServiceRegistrations), on registration and on deregistration alike.
        const r = ev.Payload?.Service as Record<string, unknown> | undefined;
        if (r && typeof r.JobID === 'string') h.onService?.(ns(r), r.JobID);
        return;
      }
    }
  }
}
