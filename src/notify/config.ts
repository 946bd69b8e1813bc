// Notification settings from the environment (read by parseConfig, every problem listed with the rest).
// The target URLs are secrets (a Slack incoming-webhook URL is its own credential): they are never
// logged, never shown in status, and redactConfig replaces them.
import { parseDurationMs } from '../core/duration.js';
import { NOTIFY_KINDS } from '../controller/history.js';

export type NotifyKind = (typeof NOTIFY_KINDS)[number];
export type NotifyForm = 'webhook' | 'slack';

export interface NotifyTarget {
  form: NotifyForm;
  url: string;
}

export interface NotifyConfig {
  /** DROVER_NOTIFY_WEBHOOK_URL (generic JSON) and DROVER_NOTIFY_SLACK_URL (Slack incoming webhook) */
  targets: NotifyTarget[];
  /** DROVER_NOTIFY_EVENTS: which events are sent; default all six */
  events: NotifyKind[];
  /** DROVER_NOTIFY_QUEUE_SIZE: messages waiting per target; when full the oldest is dropped */
  queueSize: number;
  /** DROVER_NOTIFY_TIMEOUT: per attempt */
  timeoutMs: number;
  /** DROVER_NOTIFY_RETRIES: attempts after the first, with exponential backoff */
  retries: number;
  /** DROVER_NOTIFY_DEDUPE_WINDOW: the same event for the same app with the same message is sent once per window */
  dedupeWindowMs: number;
  /** DROVER_PUBLIC_URL: where people open drover's UI; notifications link to the app's page when set */
  publicUrl?: string;
}

type Str = (name: string, def?: string) => string | undefined;

export function parseNotifyConfig(str: Str, problems: string[]): NotifyConfig {
  const targets: NotifyTarget[] = [];
  for (const [name, form] of [['DROVER_NOTIFY_WEBHOOK_URL', 'webhook'], ['DROVER_NOTIFY_SLACK_URL', 'slack']] as const) {
    const v = str(name);
    if (v === undefined) continue;
    // The value is a secret: the problem names the variable, never the value.
    if (!isHttpUrl(v)) problems.push(`${name}: not an http(s) URL`);
    else targets.push({ form, url: v });
  }
  const events: NotifyKind[] = [];
  for (const e of (str('DROVER_NOTIFY_EVENTS', NOTIFY_KINDS.join(',')) ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if ((NOTIFY_KINDS as readonly string[]).includes(e)) events.push(e as NotifyKind);
    else problems.push(`DROVER_NOTIFY_EVENTS: "${e}" is not one of ${NOTIFY_KINDS.join(', ')}`);
  }
  const int = (name: string, def: number, min: number, max: number): number => {
    const v = str(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    problems.push(`${name}: "${v}" must be an integer from ${min} to ${max}`);
    return def;
  };
  const duration = (name: string, def: string, minMs: number): number => {
    const v = str(name, def)!;
    const ms = parseDurationMs(v);
    if (ms === undefined || ms < minMs) {
      problems.push(`${name}: "${v}" must be a duration of at least ${minMs}ms (e.g. 5s, 10m)`);
      return parseDurationMs(def)!;
    }
    return ms;
  };
  const publicUrl = str('DROVER_PUBLIC_URL');
  if (publicUrl !== undefined && !isHttpUrl(publicUrl)) problems.push(`DROVER_PUBLIC_URL: "${publicUrl}" is not an http(s) URL`);
  return {
    targets,
    events,
    queueSize: int('DROVER_NOTIFY_QUEUE_SIZE', 100, 1, 10_000),
    timeoutMs: duration('DROVER_NOTIFY_TIMEOUT', '5s', 100),
    retries: int('DROVER_NOTIFY_RETRIES', 5, 0, 20),
    dedupeWindowMs: duration('DROVER_NOTIFY_DEDUPE_WINDOW', '10m', 0),
    ...(publicUrl !== undefined && isHttpUrl(publicUrl) ? { publicUrl: publicUrl.replace(/\/+$/, '') } : {}),
  };
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
