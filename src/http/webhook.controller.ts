// POST /webhook/git: a GitHub/Gitea push webhook, HMAC-verified, that makes the git source fetch at
// once instead of waiting for the next poll. The reply does not wait for the fetch.
// Authentication comes first: the secret and the signature header are checked before a byte of the
// body is read; the body is then hashed as it streams (any Content-Type, or none), at most
// WEBHOOK_MAX_BYTES; only its first WEBHOOK_PARSE_BYTES are kept, and they are parsed (JSON, or
// GitHub's form encoding) only once the signature matched.
import { BadRequestException, Controller, ForbiddenException, HttpCode, Inject, PayloadTooLargeException, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import type { SnapshotSource } from '../source/types.js';
import type { HttpResponse } from './http-types.js';
import { claimedSignature, digestMatches } from './signature.js';
import { CONFIG, LOGGER, SOURCE } from './tokens.js';

/** Longest body hashed: GitHub caps webhook payloads at 25 MB. Longer → 413 and the connection is closed. */
export const WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;
/**
 * Longest body kept and parsed (a push of a few dozen commits is well under it). A longer signed push
 * still triggers a fetch, without the tracked-ref check: fetching is harmless, parsing megabytes is not.
 */
export const WEBHOOK_PARSE_BYTES = 1024 * 1024;

interface ReadBody {
  digest: Buffer;
  /** the body when it fit in WEBHOOK_PARSE_BYTES */
  kept?: Buffer;
  tooLarge: boolean;
}

@Controller('webhook')
export class WebhookController {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(SOURCE) private readonly source: SnapshotSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('git')
  @HttpCode(202)
  async gitPush(@Req() req: IncomingMessage, @Res({ passthrough: true }) res: HttpResponse): Promise<Record<string, unknown>> {
    const secret = this.config.webhookSecret;
    if (!secret) throw closing(res, new ForbiddenException('webhook is disabled: DROVER_WEBHOOK_SECRET is not configured'));
    const claim = claimedSignature(req.headers);
    if (!claim.ok) {
      this.logger.warn('webhook rejected', { reason: claim.reason });
      throw closing(res, new UnauthorizedException(claim.reason));
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > WEBHOOK_MAX_BYTES) throw closing(res, new PayloadTooLargeException(`webhook bodies are limited to ${WEBHOOK_MAX_BYTES} bytes`));
    const body = await readHashed(req, secret);
    if (body.tooLarge) throw closing(res, new PayloadTooLargeException(`webhook bodies are limited to ${WEBHOOK_MAX_BYTES} bytes`));
    if (!digestMatches(body.digest, claim.digest)) {
      this.logger.warn('webhook rejected', { reason: 'signature does not match' });
      throw new UnauthorizedException('signature does not match');
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
    const ref = body.kept ? pushedRef(body.kept) : undefined;
    if (ref !== undefined && !tracks(ref, this.config.git.ref)) {
      res.status(200);
      return { ok: true, event: 'push', ignored: `${ref} is not the tracked ref ${this.config.git.ref}` };
    }
    this.logger.info('webhook push: fetching now', { provider: claim.provider, ref, bytes: body.kept?.length });
    void this.source.refresh().catch((e: unknown) => this.logger.warn('webhook fetch failed', { error: e instanceof Error ? e.message : String(e) }));
    return { accepted: true, event: 'push' };
  }
}

/** A refusal sent before the body was read: the connection is closed after it, so the unread rest is not drained. */
function closing<E extends Error>(res: HttpResponse, e: E): E {
  res.setHeader('Connection', 'close');
  return e;
}

/** HMAC-SHA256 of the body as it streams; keeps the first WEBHOOK_PARSE_BYTES; stops at WEBHOOK_MAX_BYTES. */
function readHashed(req: IncomingMessage, secret: string): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const hmac = createHmac('sha256', secret);
    const kept: Buffer[] = [];
    let total = 0;
    const finish = (r: ReadBody) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > WEBHOOK_MAX_BYTES) {
        req.pause();
        finish({ digest: Buffer.alloc(0), tooLarge: true });
        return;
      }
      hmac.update(chunk);
      if (total <= WEBHOOK_PARSE_BYTES) kept.push(chunk);
    };
    const onEnd = () => finish({ digest: hmac.digest(), kept: total <= WEBHOOK_PARSE_BYTES ? Buffer.concat(kept) : undefined, tooLarge: false });
    const onError = (e: Error) => {
      req.off('data', onData);
      reject(new BadRequestException(`reading the body failed: ${e.message}`));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function eventName(headers: IncomingMessage['headers']): string | undefined {
  for (const h of ['x-github-event', 'x-gitea-event', 'x-gogs-event']) {
    const v = headers[h];
    if (typeof v === 'string' && v) return v.toLowerCase();
  }
  return undefined;
}

/** `ref` of a push payload: JSON, or GitHub's form encoding (`payload=<json>`), whatever the Content-Type said. */
function pushedRef(raw: Buffer): string | undefined {
  const text = raw.toString('utf8').trim();
  let json: string | null = text;
  if (!text.startsWith('{')) json = new URLSearchParams(text).get('payload');
  if (json === null) return undefined;
  let b: unknown;
  try {
    b = JSON.parse(json);
  } catch {
    throw new BadRequestException('the signed body is neither JSON nor a form with a JSON "payload"');
  }
  const ref = b && typeof b === 'object' ? (b as { ref?: unknown }).ref : undefined;
  return typeof ref === 'string' ? ref : undefined;
}

function tracks(pushed: string, ref: string): boolean {
  return pushed === ref || pushed === `refs/heads/${ref}` || pushed === `refs/tags/${ref}`;
}
