// HMAC-SHA256 webhook signatures over the raw request body: GitHub sends `X-Hub-Signature-256:
// sha256=<hex>`, Gitea (and Gogs) `X-Gitea-Signature: <hex>`. Compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type SignatureCheck = { ok: true; provider: 'github' | 'gitea' } | { ok: false; reason: string };

/** The signature a request claims, read from its headers alone: checked before a byte of the body is read. */
export type ClaimedSignature = { ok: true; provider: 'github' | 'gitea'; digest: Buffer } | { ok: false; reason: string };

export function claimedSignature(headers: IncomingHttpHeaders): ClaimedSignature {
  const github = header(headers, 'x-hub-signature-256');
  const gitea = header(headers, 'x-gitea-signature') ?? header(headers, 'x-gogs-signature');
  let hex: string;
  let provider: 'github' | 'gitea';
  if (github !== undefined) {
    if (!github.startsWith('sha256=')) return { ok: false, reason: 'X-Hub-Signature-256 must be "sha256=<hex>"' };
    hex = github.slice('sha256='.length);
    provider = 'github';
  } else if (gitea !== undefined) {
    hex = gitea;
    provider = 'gitea';
  } else {
    return { ok: false, reason: 'missing X-Hub-Signature-256 or X-Gitea-Signature header' };
  }
  if (!/^[0-9a-f]{64}$/i.test(hex)) return { ok: false, reason: 'signature is not 64 hex digits' };
  return { ok: true, provider, digest: Buffer.from(hex, 'hex') };
}

/** Constant-time comparison of the HMAC computed over the body with the claimed one. */
export function digestMatches(computed: Buffer, claimed: Buffer): boolean {
  return computed.length === claimed.length && timingSafeEqual(computed, claimed);
}

/** The whole check over a body already in memory (tools and tests; the webhook hashes as the body streams). */
export function verifyWebhookSignature(headers: IncomingHttpHeaders, rawBody: Buffer, secret: string): SignatureCheck {
  const claim = claimedSignature(headers);
  if (!claim.ok) return claim;
  if (!digestMatches(createHmac('sha256', secret).update(rawBody).digest(), claim.digest)) return { ok: false, reason: 'signature does not match' };
  return { ok: true, provider: claim.provider };
}

/** What a sender would put in the header (used by tests and tools). */
export function signBody(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
