// Liveness, readiness and metrics: the plain-text endpoints probes and Prometheus scrape.
// /readyz follows Kubernetes: 200/503, and `?verbose` lists each named check with its reason.
// /metrics is served from a rendering rebuilt when the status version or readiness moved, or when it
// is older than METRICS_MAX_AGE_MS (counters such as upstream requests move without a status change).
import { Controller, Get, Inject, Optional, Query, Res } from '@nestjs/common';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../scheduler.js';
import type { ControllerApi, ReadinessCheck } from '../controller/types.js';
import type { Metrics } from '../metrics.js';
import type { HttpResponse } from './http-types.js';
import { CachedRendering } from './rendering.js';
import { CONTROLLER, METRICS, SCHEDULER } from './tokens.js';

/** A scrape may see counters at most this old; Prometheus scrapes every 15 s or more. */
export const METRICS_MAX_AGE_MS = 1000;

@Controller()
export class HealthController {
  /** the exposition text; public so tests can count renderings */
  readonly exposition = new CachedRendering(async () => Buffer.from(await this.metrics.registry.metrics()));
  private readonly clock: Clock;

  constructor(
    @Inject(CONTROLLER) private readonly controller: ControllerApi,
    @Inject(METRICS) private readonly metrics: Metrics,
    @Optional() @Inject(SCHEDULER) clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  @Get('healthz')
  healthz(@Res() res: HttpResponse): void {
    res.status(200).type('text/plain; charset=utf-8').send('ok');
  }

  @Get('readyz')
  readyz(@Query('verbose') verbose: string | undefined, @Res() res: HttpResponse): void {
    const checks = this.controller.readiness();
    const ready = checks.every((c) => c.ok);
    this.metrics.ready.set(ready ? 1 : 0);
    res.status(ready ? 200 : 503).type('text/plain; charset=utf-8').send(readinessText(checks, verbose !== undefined));
  }

  @Get('metrics')
  async scrape(@Res() res: HttpResponse): Promise<void> {
    // drover_ready mirrors /readyz at every scrape, not only when someone happened to call /readyz
    const ready = this.controller.readiness().every((c) => c.ok);
    this.metrics.ready.set(ready ? 1 : 0);
    const key = `${this.controller.statusVersion()}|${ready}|${Math.floor(this.clock.now() / METRICS_MAX_AGE_MS)}`;
    const body = await this.exposition.get(key);
    // a Buffer so express keeps Prometheus' content type byte for byte (a string would re-order its parameters)
    res.status(200).setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(body);
  }
}

/** Kubernetes' format: failed checks always listed; passing ones only when verbose. */
export function readinessText(checks: ReadinessCheck[], verbose: boolean): string {
  const ready = checks.every((c) => c.ok);
  if (ready && !verbose) return 'ok';
  const lines = checks
    .filter((c) => verbose || !c.ok)
    .map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: ${c.reason ?? 'not ready'}`));
  lines.push(ready ? 'readyz check passed' : 'readyz check failed');
  return `${lines.join('\n')}\n`;
}
