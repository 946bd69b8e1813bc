// The web UI in a real browser (Debian's Chromium through playwright-core) against drover on the
// simulated cluster with a real git repo: the list shows every example app with its states, a commit
// shows up live without a reload, a drift made by hand shows its diff (values redacted as in /apps),
// an unauthenticated action is refused, the page works from the keyboard, meets contrast, and stays
// light. One browser for the whole file; tests run in order on one drover.
// UPDATE_SCREENSHOTS=1 also writes the README's screenshots (docs/screenshots/*.png).
import test from 'ava';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { pageWeight } from '../../src/http/ui/assets.js';
import { until } from '../e2e/stack.js';
import { launchBrowser, type Browser } from './browser.js';
import { ADMIN_TOKEN, appYaml, SECRET_ENV_VALUE, startUiStack, type UiStack } from './stack.js';

/** Runs in the page: every visible text node whose colour against its background is under 4.5:1. */
const CONTRAST_SCRIPT = `(() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bgOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim() || el.closest('.sr, .skip, [aria-hidden="true"]')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const fg = lum(rgb(style.color).slice(0, 3));
    const bg = lum(bgOf(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) out.push(ratio.toFixed(2) + ' "' + n.textContent.trim().slice(0, 30) + '" (' + (el.className || el.tagName) + ')');
  }
  return [...new Set(out)];
})()`;

let stack: UiStack;
let browser: Browser;

test.before(async () => {
  [stack, browser] = await Promise.all([
    startUiStack({
      files: {
        'apps/drifty.yaml': appYaml('drifty', { selfHeal: false, env: { API_KEY: SECRET_ENV_VALUE } }),
        'apps/filler.yaml': [appYaml('filler-a'), appYaml('filler-b'), appYaml('filler-c')].join('---\n'),
      },
      env: { DROVER_PRUNE_MAX_SHARE: '0.1' },
    }),
    launchBrowser(),
  ]);
  await stack.settled();
});

test.after.always(async () => {
  await browser?.close();
  await stack?.close();
});

async function open(hash = ''): Promise<Page> {
  const ctx = await browser.context();
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { errors: string[] }).errors = errors;
  await page.goto(`${stack.base}/${hash}`);
  return page;
}

const rowCell = (page: Page, key: string, col: string) => page.locator(`tr[data-app="${key}"] td[data-col="${col}"]`);

test.serial('the list shows every example app with its sync and health state', async (t) => {
  const apps = await stack.settled();
  const page = await open();
  await page.locator('tr[data-app]').nth(apps.length - 1).waitFor();
  t.is(await page.locator('tr[data-app]').count(), apps.length);
  for (const name of ['otel-collector', 'nginx-minipot', 'webservice', 'httpbackend']) t.true(apps.some((a) => a.name === name), name);
  t.true(apps.some((a) => a.namespace === 'tenant-b'), 'seed 003 tenant');
  for (const a of apps) {
    const k = `${a.namespace}/${a.name}`;
    t.is((await rowCell(page, k, 'sync').innerText()).trim(), a.sync, k);
    t.is((await rowCell(page, k, 'health').innerText()).trim(), a.health, k);
  }
  // filters: namespace and search narrow the rows
  await page.selectOption('#f-ns', 'tenant-b');
  await until('one tenant-b row', async () => ((await page.locator('tr[data-app]').count()) === 1 ? true : undefined));
  t.is(await page.locator('tr[data-app="tenant-b/httpbackend"]').count(), 1);
  await page.selectOption('#f-ns', '');
  await page.fill('#f-q', 'otel');
  await until('search narrows', async () => ((await page.locator('tr[data-app]').count()) === 1 ? true : undefined));
  t.deepEqual((page as unknown as { errors: string[] }).errors, []);
  if (process.env.UPDATE_SCREENSHOTS) {
    await page.fill('#f-q', '');
    await page.locator('tr[data-app]').nth(apps.length - 1).waitFor();
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/app-list.png', fullPage: true });
  }
  await page.context().close();
});

test.serial('a commit that changes an app shows up live, without a reload', async (t) => {
  const page = await open();
  await page.locator('tr[data-app="default/webservice"]').waitFor();
  await page.locator('[data-testid="live"]', { hasText: 'live' }).waitFor();
  await page.evaluate('window.noReload = true');
  const text = (await stack.apps()).find((a) => a.name === 'webservice')!;
  const file = `apps/${text.source!.file}`;
  const yaml = stack.repo.git('show', `HEAD:${file}`).replace(/count: \d+/, 'count: 3');
  const rev = await stack.push({ [file]: yaml }, 'webservice: three instances');
  const revCell = page.locator('tr[data-app="default/webservice"] td code');
  await until('the row names the new revision', async () => ((await revCell.innerText()) === rev.slice(0, 7) ? true : undefined), 15_000);
  t.true(await page.evaluate('window.noReload === true'), 'the page was not reloaded');
  // and the app's page follows live too: the rollout lands in its history
  await page.click('tr[data-app="default/webservice"] a');
  await page.locator('[data-testid="history"]', { hasText: 'rollout-started' }).waitFor({ timeout: 15_000 });
  await page.locator('[data-testid="history"]', { hasText: 'rollout-done' }).waitFor({ timeout: 15_000 });
  t.true(await page.evaluate('window.noReload === true'));
  await page.context().close();
});

test.serial('a drift made by hand shows as a diff: live and git values, secret values redacted', async (t) => {
  const job = (await (await fetch(`${stack.sim.urls.nomad}/v1/job/drifty`)).json()) as { TaskGroups: { Count: number; Tasks: { Env: Record<string, string> }[] }[] };
  job.TaskGroups[0].Count = 4;
  job.TaskGroups[0].Tasks[0].Env = { API_KEY: 'changed-by-hand-value' };
  const r = await fetch(`${stack.sim.urls.nomad}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }), headers: { 'content-type': 'application/json' } });
  t.true(r.ok);
  const page = await open('#/apps/default/drifty');
  const diff = page.locator('[data-testid="diff"]');
  await diff.waitFor({ timeout: 15_000 });
  // the live side arrives with the app page's JSON once drover has seen the drift
  const countRow = diff.locator('tr', { hasText: '/TaskGroups/0/Count' }).filter({ hasText: '- 4' });
  await countRow.waitFor({ timeout: 15_000 });
  t.regex(await countRow.innerText(), /- 4[\s\S]*\+ 1/);
  const envRow = diff.locator('tr', { hasText: 'Env' });
  t.regex(await envRow.first().innerText(), /<redacted>/);
  const html = await page.content();
  t.false(html.includes(SECRET_ENV_VALUE), 'git env value never on the page (source and job views too)');
  t.false(html.includes('changed-by-hand-value'), 'live env value never on the page');
  t.regex(await page.locator('h1').innerText(), /OutOfSync/);
  if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: 'docs/screenshots/app-drift.png', fullPage: true });
  await page.context().close();
});

test.serial('an action without the admin token is refused, and says so; with it, accepted', async (t) => {
  // The action to refuse: approving a held prune.
  const page = await open();
  await stack.push({ 'apps/filler.yaml': appYaml('filler-a') }, 'drop two fillers: one is held by the share limit');
  await page.goto(`${stack.base}/#/prunes`);
  await page.locator('[data-testid="held-prunes"] tr[data-app]').first().waitFor({ timeout: 15_000 });
  const button = page.locator('[data-testid="held-prunes"] button').first();
  const path = 'approve-prune';
  t.regex(await button.innerText(), /admin token/, 'the button says it needs the token');
  const answered = page.waitForResponse((res) => res.url().endsWith(`/${path}`) && res.request().method() === 'POST');
  await button.click();
  t.is((await answered).status(), 401);
  await page.locator('[data-testid="action-result"]', { hasText: 'refused (401)' }).waitFor();
  const held = (await stack.apps()).filter((a) => a.pruning?.state === 'held');
  t.true(held.length > 0, 'still held after the refused approval');
  // a wrong token is refused too; the right one is accepted
  await page.fill('#token', 'not-the-token');
  await page.click('button:has-text("Use")');
  const wrong = page.waitForResponse((res) => res.url().endsWith(`/${path}`));
  await button.click();
  t.is((await wrong).status(), 401);
  await page.click('button:has-text("Forget token")');
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('button:has-text("Use")');
  const right = page.waitForResponse((res) => res.url().endsWith(`/${path}`));
  await button.click();
  t.true((await right).status() < 300);
  await page.locator('[data-testid="action-result"]', { hasText: 'accepted' }).waitFor();
  await page.context().close();
});

test.serial('keyboard: skip link, navigation and an app page reachable by Tab and Enter; focus lands on the heading', async (t) => {
  const page = await open();
  await page.locator('tr[data-app]').first().waitFor();
  await page.keyboard.press('Tab');
  t.is(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
  // Tab until the first app link has focus, then Enter.
  let onApp = false;
  for (let i = 0; i < 40 && !onApp; i++) {
    await page.keyboard.press('Tab');
    onApp = await page.evaluate<boolean>("Boolean(document.activeElement?.closest('tr[data-app]'))");
  }
  t.true(onApp, 'an app link is reachable by Tab');
  const name = await page.evaluate<string>("document.activeElement?.textContent ?? ''");
  await page.keyboard.press('Enter');
  await until('the app page heading has focus', async () =>
    (await page.evaluate('document.activeElement?.id')) === 'page-title' ? true : undefined);
  t.true((await page.locator('h1').innerText()).includes(name));
  // every form control has a label
  const unlabelled = await page.evaluate<string[]>(
    "[...document.querySelectorAll('input, select, textarea')].filter((el) => !el.labels?.length && !el.getAttribute('aria-label')).map((el) => el.outerHTML)");
  t.deepEqual(unlabelled, []);
  await page.context().close();
});

test.serial('contrast: every text on the list and app pages meets WCAG AA (4.5:1)', async (t) => {
  for (const hash of ['', '#/apps/default/drifty', '#/prunes']) {
    const page = await open(hash);
    await page.locator('h1#page-title').waitFor();
    const failures = await page.evaluate<string[]>(CONTRAST_SCRIPT);
    t.deepEqual(failures, [], hash || 'list');
    await page.context().close();
  }
});

test('page weight: the whole UI (HTML, CSS, JS, Preact, htm) is under 40 KB gzipped', (t) => {
  const w = pageWeight();
  t.log(`page weight: ${w.files} files, ${w.bytes} bytes, ${w.gzipBytes} bytes gzipped`);
  t.true(w.gzipBytes < 40 * 1024, String(w.gzipBytes));
});

test('the static files: gzip when asked, 304 on a matching ETag, a strict CSP, no other file reachable', async (t) => {
  const r = await fetch(`${stack.base}/ui/app.js`, { headers: { 'accept-encoding': 'gzip' } });
  t.is(r.status, 200);
  t.is(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.regex(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const again = await fetch(`${stack.base}/ui/app.js`, { headers: { 'if-none-match': r.headers.get('etag')! } });
  t.is(again.status, 304);
  for (const p of ['/ui/..%2Fpackage.json', '/ui/vendor/..%2F..%2Fpackage.json', '/ui/nope.js', '/ui/index.html']) {
    t.is((await fetch(`${stack.base}${p}`)).status, 404, p);
  }
});
