// POST /webhook/git: a GitHub/Gitea push webhook, HMAC-verified, that makes the git source fetch at
// once instead of waiting for the next poll. The reply does not wait for the fetch.
import { Controller, ForbiddenException, HttpCode, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import type { SnapshotSource } from '../source/types.js';
import type { HttpRequest, HttpResponse } from './http-types.js';
import { verifyWebhookSignature } from './signature.js';
import { CONFIG, LOGGER, SOURCE } from './tokens.js';

@Controller('webhook')
export class WebhookController {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(SOURCE) private readonly source: SnapshotSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('git')
  @HttpCode(202)
  gitPush(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Record<string, unknown> {
    const secret = this.config.webhookSecret;
    if (!secret) throw new ForbiddenException('webhook is disabled: DROVER_WEBHOOK_SECRET is not configured');
    const check = verifyWebhookSignature(req.headers, req.rawBody ?? Buffer.alloc(0), secret);
    if (!check.ok) {
      this.logger.warn('webhook rejected', { reason: check.reason });
      throw new UnauthorizedException(check.reason);
    }
    const event = eventName(req.headers);
    if (event === 'ping') {
      res.status(200);
      return { ok: true, event };
    }
    if (event !== undefined && event !== 'push') {
      res.status(200);
      return { ok: true, event, ignored: 'only push events trigger a fetch' };
    }
    const ref = pushedRef(req.body);
    if (ref !== undefined && !tracks(ref, this.config.git.ref)) {
      res.status(200);
      return { ok: true, event: 'push', ignored: `${ref} is not the tracked ref ${this.config.git.ref}` };
    }
    this.logger.info('webhook push: fetching now', { provider: check.provider, ref });
    void this.source.refresh().catch((e: unknown) => this.logger.warn('webhook fetch failed', { error: e instanceof Error ? e.message : String(e) }));
    return { accepted: true, event: 'push' };
  }
}

function eventName(headers: HttpRequest['headers']): string | undefined {
  for (const h of ['x-github-event', 'x-gitea-event', 'x-gogs-event']) {
    const v = headers[h];
    if (typeof v === 'string' && v) return v.toLowerCase();
  }
  return undefined;
}

/** `ref` of a push payload, JSON or GitHub's form encoding (`payload=<json>`). */
function pushedRef(body: unknown): string | undefined {
  let b = body;
  if (b && typeof b === 'object' && typeof (b as { payload?: unknown }).payload === 'string') {
    try {
      b = JSON.parse((b as { payload: string }).payload);
    } catch {
      return undefined;
    }
  }
  const ref = b && typeof b === 'object' ? (b as { ref?: unknown }).ref : undefined;
  return typeof ref === 'string' ? ref : undefined;
}

function tracks(pushed: string, ref: string): boolean {
  return pushed === ref || pushed === `refs/heads/${ref}` || pushed === `refs/tags/${ref}`;
}
