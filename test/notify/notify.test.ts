// Notifications against a real local HTTP receiver: both forms, the chosen events only, repeats
// dropped, retried with backoff while the receiver is down or erroring, a bounded queue behind a hanging
// receiver, never a secret in a body — and a drover whose receiver hangs still reconciles every commit.
import test from 'ava';
import { parseConfig, ConfigError, redactConfig } from '../../src/config.js';
import { nullLogger } from '../../src/core/logger.js';
import { History, type HistoryEvent } from '../../src/controller/history.js';
import { Metrics } from '../../src/metrics.js';
import { Notifier, type NotifyConfig, genericPayload, slackPayload } from '../../src/notify/index.js';
import { app, appStatus, startStack, until as untilAsync } from '../e2e/stack.js';
import { startReceiver, until } from './receiver.js';

const ADMIN = 'admin-token-never-sent';

function notifyConfig(over: Partial<NotifyConfig>): NotifyConfig {
  return { targets: [], events: ['sync-failed', 'degraded', 'conflict', 'prune-held', 'drift-healed', 'rollout-done'], queueSize: 100, timeoutMs: 2000, retries: 8, dedupeWindowMs: 60_000, ...over };
}

function event(over: Partial<HistoryEvent> = {}): HistoryEvent {
  return { seq: 1, at: '2025-01-01T00:00:00.000Z', namespace: 'default', name: 'web', kind: 'sync-failed', severity: 'error', message: 'unavailable: connection refused', revision: 'a'.repeat(40), ...over };
}

async function metricValue(m: Metrics, target: string, result: string): Promise<number> {
  const v = (await m.notifications.get()).values.find((x) => x.labels.target === target && x.labels.result === result);
  return v?.value ?? 0;
}

function notifier(t: import('ava').ExecutionContext, config: NotifyConfig, clock?: { now(): number }) {
  const history = new History();
  const metrics = new Metrics();
  const n = new Notifier({ config, history, metrics, logger: nullLogger, owner: 'drover-test', secrets: [ADMIN], backoff: { baseMs: 20, maxMs: 200 }, ...(clock ? { clock } : {}) });
  n.start();
  t.teardown(() => n.stop());
  return { history, metrics, n };
}

test('generic JSON and Slack forms: what each carries, Slack escaping, secrets scrubbed', (t) => {
  const ctx = { owner: 'drover', publicUrl: 'https://drover.example.com', secrets: [ADMIN] };
  const g = genericPayload(event({ message: `unauthorized: token ${ADMIN} refused <b>` }), ctx);
  t.deepEqual(g, {
    source: 'drover', version: 1, event: 'sync-failed', severity: 'error', app: { namespace: 'default', name: 'web' },
    message: 'unauthorized: token <redacted> refused <b>', revision: 'a'.repeat(40), at: '2025-01-01T00:00:00.000Z', owner: 'drover',
    url: 'https://drover.example.com/#/apps/default/web',
  });
  const s = slackPayload(g);
  t.is(s.text, 'sync failed: default/web: unauthorized: token <redacted> refused <b>');
  const section = JSON.stringify(s.blocks[0]);
  t.true(section.includes('&lt;b&gt;'), 'mrkdwn control characters escaped');
  t.true(section.includes('<https://drover.example.com/#/apps/default/web|default/web>'), 'links the app page');
  t.false(JSON.stringify(s).includes(ADMIN));
});

test('configuration: both targets, chosen events, bad values named without echoing a URL; URLs redacted', (t) => {
  const c = parseConfig({ DROVER_NOTIFY_WEBHOOK_URL: 'http://127.0.0.1:9/hook?key=s3cr3t', DROVER_NOTIFY_SLACK_URL: 'https://hooks.slack.example/services/T/B/X', DROVER_NOTIFY_EVENTS: 'degraded, rollout-done' });
  t.deepEqual(c.notify.targets.map((x) => x.form), ['webhook', 'slack']);
  t.deepEqual(c.notify.events, ['degraded', 'rollout-done']);
  t.is(c.notify.queueSize, 100);
  t.is(c.notify.retries, 5);
  t.false(JSON.stringify(redactConfig(c)).includes('s3cr3t'));
  const e = t.throws(() => parseConfig({ DROVER_NOTIFY_SLACK_URL: 'ftp://x/s3cr3t', DROVER_NOTIFY_EVENTS: 'degraded,exploded', DROVER_NOTIFY_QUEUE_SIZE: '0' }), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(e.problems, [
    'DROVER_NOTIFY_SLACK_URL: not an http(s) URL',
    'DROVER_NOTIFY_EVENTS: "exploded" is not one of sync-failed, degraded, conflict, prune-held, drift-healed, rollout-done',
    'DROVER_NOTIFY_QUEUE_SIZE: "0" must be an integer from 1 to 10000',
  ]);
  t.false(e.message.includes('s3cr3t'));
});

test('delivered to a real receiver in both forms; only chosen kinds; repeats within the window dropped', async (t) => {
  const rx = await startReceiver();
  t.teardown(() => rx.close());
  const clock = { t: 0, now() { return this.t; } };
  const { history, metrics, n } = notifier(t, notifyConfig({ targets: [{ form: 'webhook', url: `${rx.url}/hook` }, { form: 'slack', url: `${rx.url}/slack` }], events: ['sync-failed', 'rollout-done'] }), clock);
  history.record({ namespace: 'default', name: 'web', kind: 'sync-failed', message: 'timeout: nomad slow' });
  history.record({ namespace: 'default', name: 'web', kind: 'drift-detected', message: 'not chosen' });
  history.record({ namespace: 'default', name: 'web', kind: 'sync-failed', message: 'timeout: nomad slow' }); // a repeat
  await n.idle();
  t.deepEqual(rx.received.map((r) => r.path).sort(), ['/hook', '/slack']);
  const hook = rx.received.find((r) => r.path === '/hook')!;
  t.is(hook.headers['content-type'], 'application/json');
  t.like(hook.body, { source: 'drover', event: 'sync-failed', app: { namespace: 'default', name: 'web' }, message: 'timeout: nomad slow', owner: 'drover-test' });
  t.is(rx.received.find((r) => r.path === '/slack')!.body.text, 'sync failed: default/web: timeout: nomad slow');
  t.is(await metricValue(metrics, 'webhook', 'deduplicated'), 1);
  clock.t += 60_001; // past the window: the same event is news again
  history.record({ namespace: 'default', name: 'web', kind: 'sync-failed', message: 'timeout: nomad slow' });
  await n.idle();
  t.is(rx.received.filter((r) => r.path === '/hook').length, 2);
  t.is(await metricValue(metrics, 'webhook', 'sent'), 2);
  t.is(await metricValue(metrics, 'slack', 'sent'), 2);
});

test('a receiver that is down, then erroring, then up: retried with backoff until delivered', async (t) => {
  const rx = await startReceiver();
  t.teardown(() => rx.close());
  await rx.down();
  const { history, metrics, n } = notifier(t, notifyConfig({ targets: [{ form: 'webhook', url: `${rx.url}/hook` }], retries: 20 }));
  history.record({ namespace: 'default', name: 'web', kind: 'degraded', message: '0/2 allocations running' });
  await new Promise((r) => setImmediate(r));
  await rx.up();
  rx.mode = 503;
  await until('a 503 answered', () => rx.received.length >= 1);
  rx.mode = 'ok';
  await n.idle();
  t.true(rx.received.length >= 2, 'the 503 was retried');
  t.like(rx.received.at(-1)!.body, { event: 'degraded', message: '0/2 allocations running' });
  t.is(await metricValue(metrics, 'webhook', 'sent'), 1);
  t.is(await metricValue(metrics, 'webhook', 'failed'), 0);
});

test('retries end: a receiver that keeps failing costs one "failed", and the next message still goes', async (t) => {
  const rx = await startReceiver();
  t.teardown(() => rx.close());
  rx.mode = 500;
  const { history, metrics, n } = notifier(t, notifyConfig({ targets: [{ form: 'webhook', url: rx.url }], retries: 2 }));
  history.record({ namespace: 'default', name: 'a', kind: 'conflict', message: 'not ours' });
  await n.idle();
  t.is(rx.received.length, 3, 'the first attempt and two retries');
  t.is(await metricValue(metrics, 'webhook', 'failed'), 1);
  rx.mode = 'ok';
  history.record({ namespace: 'default', name: 'b', kind: 'conflict', message: 'not ours' });
  await n.idle();
  t.is(await metricValue(metrics, 'webhook', 'sent'), 1);
});

test('a hanging receiver: offer() returns at once, the queue stays bounded, the oldest waiting message is dropped', async (t) => {
  const rx = await startReceiver();
  t.teardown(() => rx.close());
  rx.mode = 'hang';
  const { history, metrics } = notifier(t, notifyConfig({ targets: [{ form: 'webhook', url: rx.url }], queueSize: 2, timeoutMs: 60_000, retries: 0 }));
  history.record({ namespace: 'default', name: 'app-0', kind: 'degraded', message: 'x' });
  await until('the first request reached the receiver', () => rx.started === 1);
  for (let i = 1; i <= 5; i++) history.record({ namespace: 'default', name: `app-${i}`, kind: 'degraded', message: 'x' });
  t.is(await metricValue(metrics, 'webhook', 'dropped'), 3, 'five offered behind one in flight, two kept');
  t.is((await metrics.notifyQueueDepth.get()).values.find((v) => v.labels.target === 'webhook')!.value, 2);
  t.is(rx.received.length, 1);
});

test('drover with a hanging receiver still rolls out every commit; a live receiver gets rollout-done, no token in any body', async (t) => {
  const hang = await startReceiver();
  hang.mode = 'hang';
  const live = await startReceiver();
  t.teardown(() => Promise.all([hang.close(), live.close()]));
  const stack = await startStack({
    files: { 'apps/web.yaml': app('web') },
    env: { DROVER_NOTIFY_WEBHOOK_URL: `${hang.url}/hook`, DROVER_NOTIFY_SLACK_URL: `${live.url}/slack`, DROVER_NOTIFY_TIMEOUT: '60s', DROVER_NOTIFY_RETRIES: '0' },
  });
  t.teardown(() => stack.close());
  await untilAsync('web rolled out', async () => ((await appStatus(stack.base, 'web')).health === 'Healthy' ? true : undefined));
  await until('the webhook receiver was sent the first event and holds it', () => hang.started >= 1);
  for (const count of [2, 3]) {
    await stack.push({ 'apps/web.yaml': app('web', count) });
    await untilAsync(`count ${count} registered`, async () => {
      const st = await appStatus(stack.base, 'web');
      return st.sync === 'Synced' && st.health === 'Healthy' && (st.job?.version ?? 0) >= count - 1 ? true : undefined;
    });
  }
  t.is(hang.received.length >= 1, true);
  const slack = await until('three rollout-done messages', () => {
    const done = live.received.filter((r) => /^rollout done: default\/web/.test(r.body?.text ?? ''));
    return done.length >= 3 ? done : undefined;
  });
  t.is(slack.length, 3);
  for (const r of [...live.received, ...hang.received]) {
    t.false(r.raw.includes('e2e-admin-token') || r.raw.includes('e2e-webhook-secret'), r.raw);
  }
});
