// The UI's static files, read once into memory: web/ (index.html, app.js, style.css, …) and the two
// vendored libraries from node_modules (preact with its hooks, htm), each with an ETag and a gzip copy.
// Only files found at start are served — a request names a key of this map, never a path on disk,
// so no request can reach another file. The bare `preact` import of hooks is pointed at our copy, so
// the page needs no import map (and the Content-Security-Policy needs no inline script).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The repository (or installed package) root: the nearest ancestor holding web/index.html. */
export function webDir(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
    if (dirname(dir) === dir) throw new Error('the web UI files (web/index.html) are missing from this installation');
  }
}

function asset(name: string, body: Buffer): Asset {
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    type: TYPES[extname(name)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

function vendorFile(spec: string, moduleFile: string, rewrite?: (s: string) => string): Buffer {
  const require = createRequire(import.meta.url);
  const path = join(dirname(require.resolve(spec)), moduleFile);
  let text = readFileSync(path, 'utf8').replace(/\n?\/\/# sourceMappingURL=.*$/m, '');
  if (rewrite) text = rewrite(text);
  return Buffer.from(text);
}

let cached: Map<string, Asset> | undefined;

/** key → asset: `index.html`, `app.js`, …, and `vendor/preact.js`, `vendor/hooks.js`, `vendor/htm.js`. */
export function loadAssets(): Map<string, Asset> {
  if (cached) return cached;
  const out = new Map<string, Asset>();
  const dir = webDir();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && TYPES[extname(entry.name)]) out.set(entry.name, asset(entry.name, readFileSync(join(dir, entry.name))));
  }
  out.set('vendor/preact.js', asset('preact.js', vendorFile('preact', 'preact.module.js')));
  out.set('vendor/hooks.js', asset('hooks.js', vendorFile('preact/hooks', 'hooks.module.js', (s) => s.replace(/from\s*"preact"/g, 'from"./preact.js"'))));
  out.set('vendor/htm.js', asset('htm.js', vendorFile('htm', 'htm.module.js')));
  cached = out;
  return out;
}

/** Bytes a first visit transfers (gzip), and uncompressed: what the README reports as page weight. */
export function pageWeight(assets = loadAssets()): { files: number; bytes: number; gzipBytes: number } {
  let bytes = 0;
  let gzipBytes = 0;
  for (const a of assets.values()) {
    if (a.type.startsWith('image/')) continue;
    bytes += a.body.length;
    gzipBytes += a.gzip.length;
  }
  return { files: assets.size, bytes, gzipBytes };
}
