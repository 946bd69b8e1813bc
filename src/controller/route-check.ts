// The route check (TRAEFIK_API_ADDR, off by default): does Traefik route what an app's tags declare? The
// routers an app expects come from its rendered tags (core/route-verify.ts); Traefik's runtime view comes
// from its API, read once per short window and shared by every app checked in it, so a resync of thousands
// of apps costs one read of `/api/rawdata`, not one per app. Like the Consul verification it only reads:
// routing drift is reported (status.routes, health, metrics), never "fixed" by writing the job.
import type { TraefikApi } from '../clients/traefik.js';
import type { Clock } from '../core/clock.js';
import { toDroverError, type DroverError, type Upstream } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { expectedRoutersFromJob, routeStatusUnreachable, routeStatusVerified, verifyRoutes, viewFromRawData, type TraefikView } from '../core/route-verify.js';
import type { Metrics } from '../metrics.js';
import type { AppRecord } from './app-record.js';

/** How long one read of Traefik's view serves every app checked after it. */
const VIEW_TTL_MS = 1000;

export interface RouteCheckContext {
  traefik: TraefikApi;
  prefix: string;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  reached: (upstream: Upstream, error?: DroverError) => void;
}

export class RouteChecker {
  private cached: { at: number; view: Promise<TraefikView> } | undefined;

  constructor(private readonly ctx: RouteCheckContext) {}

  /** A job that runs (any version, a rollout included: that is when routes break) is checked. */
  static checkable(rec: AppRecord): boolean {
    return !rec.problems && !!rec.desired && rec.seen?.exists === true && !rec.seen.stop && rec.decision?.action.kind !== 'conflict';
  }

  async check(rec: AppRecord): Promise<void> {
    const { ctx } = this;
    const labels = { namespace: rec.namespace, app: rec.name };
    const expected = expectedRoutersFromJob(rec.desired!, { prefix: ctx.prefix });
    if (expected.length === 0) {
      rec.status.routes = undefined;
      ctx.metrics.verify.routeDrift.set(labels, 0);
      return;
    }
    let view: TraefikView;
    try {
      view = await this.view();
      ctx.reached('traefik');
    } catch (e) {
      const err = toDroverError(e);
      ctx.reached('traefik', err);
      rec.status.routes = routeStatusUnreachable(rec.status.routes, `${err.code}: ${err.message}`);
      ctx.metrics.verify.routeVerifications.inc({ result: 'unreachable' });
      return;
    }
    const r = verifyRoutes(expected, view, { prefix: ctx.prefix, ...(rec.observedInstances ? { instances: rec.observedInstances } : {}) });
    const wasDrift = rec.status.routes?.drift === true;
    rec.status.routes = routeStatusVerified(r, new Date(ctx.clock.now()).toISOString());
    ctx.metrics.verify.routeDrift.set(labels, r.drift ? 1 : 0);
    ctx.metrics.verify.routeVerifications.inc({ result: r.drift ? 'drift' : r.problems.length ? 'problems' : 'ok' });
    if (r.drift && !wasDrift) ctx.logger.warn('Traefik does not route what the app declares (reported, not fixed)', { app: rec.key, problems: r.problems });
  }

  private view(): Promise<TraefikView> {
    const now = this.ctx.clock.now();
    if (!this.cached || now - this.cached.at > VIEW_TTL_MS) {
      const view = this.ctx.traefik.rawData().then(viewFromRawData);
      this.cached = { at: now, view };
      view.catch(() => {
        if (this.cached?.view === view) this.cached = undefined;
      });
    }
    return this.cached.view;
  }
}
