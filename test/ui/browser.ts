// Debian's Chromium driven by playwright-core: headless, no sandbox (CI runs as root), nothing fetched
// from the network by the browser itself, a fresh profile per launch. One launch is shared by every
// browser test in a file; each test gets its own context (cookies, storage).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.DROVER_TEST_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export interface Browser {
  /** a fresh context (own storage) with one page */
  context(opts?: { width?: number; height?: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'drover-chromium-'));
  // A persistent context is what takes --user-data-dir; contexts for tests are made inside it.
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const browser = ctx.browser();
  return {
    async context(opts = {}) {
      const viewport = { width: opts.width ?? 1280, height: opts.height ?? 800 };
      if (browser) return browser.newContext({ viewport });
      return ctx; // (playwright gives no Browser for a persistent context on some versions: share the one context)
    },
    async close() {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
