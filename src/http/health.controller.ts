// Liveness, readiness and metrics: the plain-text endpoints probes and Prometheus scrape.
// /readyz follows Kubernetes: 200/503, and `?verbose` lists each named check with its reason.
import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { ControllerApi, ReadinessCheck } from '../controller/types.js';
import type { Metrics } from '../metrics.js';
import type { HttpResponse } from './http-types.js';
import { CONTROLLER, METRICS } from './tokens.js';

@Controller()
export class HealthController {
  constructor(
    @Inject(CONTROLLER) private readonly controller: ControllerApi,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

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
    this.metrics.ready.set(this.controller.readiness().every((c) => c.ok) ? 1 : 0);
    const body = await this.metrics.registry.metrics();
    // a Buffer so express keeps Prometheus' content type byte for byte (a string would re-order its parameters)
    res.status(200).setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(Buffer.from(body));
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
