// The two message forms, pure: a history event → the generic JSON body or a Slack incoming-webhook body.
// Every string passes through `scrub`, which replaces any configured secret (tokens, webhook secret,
// target URLs) — status messages never carry one by rule; this is the second lock on the same door.
import type { HistoryEvent } from '../controller/history.js';
import type { NotifyForm } from './config.js';

export interface PayloadContext {
  /** DROVER_OWNER: which drover deployment speaks */
  owner: string;
  publicUrl?: string;
  /** values that must never leave drover */
  secrets: readonly string[];
}

export interface GenericPayload {
  source: 'drover';
  version: 1;
  event: HistoryEvent['kind'];
  severity: HistoryEvent['severity'];
  app: { namespace: string; name: string };
  message: string;
  revision?: string;
  at: string;
  owner: string;
  url?: string;
}

const TITLES: Partial<Record<HistoryEvent['kind'], string>> = {
  'sync-failed': 'sync failed',
  degraded: 'degraded',
  conflict: 'conflict: the job is not drover\'s',
  'prune-held': 'prune held, waiting for approval',
  'drift-healed': 'drift healed',
  'rollout-done': 'rollout done',
};

const ICONS: Record<HistoryEvent['severity'], string> = { error: ':red_circle:', warning: ':large_orange_circle:', info: ':large_green_circle:' };

export function buildPayload(form: NotifyForm, e: HistoryEvent, ctx: PayloadContext): unknown {
  const generic = genericPayload(e, ctx);
  return form === 'slack' ? slackPayload(generic) : generic;
}

export function genericPayload(e: HistoryEvent, ctx: PayloadContext): GenericPayload {
  const s = (v: string) => scrub(v, ctx.secrets);
  const url = ctx.publicUrl ? `${ctx.publicUrl}/#/apps/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.name)}` : undefined;
  return {
    source: 'drover',
    version: 1,
    event: e.kind,
    severity: e.severity,
    app: { namespace: s(e.namespace), name: s(e.name) },
    message: s(e.message),
    ...(e.revision ? { revision: e.revision } : {}),
    at: e.at,
    owner: s(ctx.owner),
    ...(url ? { url: s(url) } : {}),
  };
}

/** Slack's incoming-webhook body: `text` (the notification's fallback) and blocks in mrkdwn. */
export function slackPayload(p: GenericPayload): { text: string; blocks: unknown[] } {
  const title = TITLES[p.event] ?? p.event;
  const app = `${p.app.namespace}/${p.app.name}`;
  const appRef = p.url ? `<${p.url}|${esc(app)}>` : `\`${esc(app)}\``;
  const context = [`drover \`${esc(p.owner)}\``, ...(p.revision ? [`revision \`${esc(p.revision.slice(0, 12))}\``] : []), esc(p.at)];
  return {
    text: `${title}: ${app}: ${p.message}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${ICONS[p.severity]} *${esc(title)}* ${appRef}\n${esc(p.message)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
    ],
  };
}

/** Slack's three control characters in mrkdwn. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function scrub(v: string, secrets: readonly string[]): string {
  let out = v;
  for (const secret of secrets) if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('<redacted>');
  return out;
}
