// The README is the user's manual: every metric, config variable and App field it must name is
// checked here against the code, so docs and code cannot drift apart silently.
import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '../src/metrics.js';

const readme = readFileSync('README.md', 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every drover metric is documented in the README', async (t) => {
  const names = (await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name);
  t.true(names.length > 20);
  const missing = names.filter((n) => !readme.includes(`\`${n}\``));
  t.deepEqual(missing, []);
});

test('every configuration variable read by drover is documented in the README', (t) => {
  const vars = new Set<string>();
  for (const f of sourceFiles('src')) {
    if (f.includes(`${join('src', 'sim')}`)) continue; // the simulator's own flags are documented with `drover sim`
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:['"`]|env\.)((?:DROVER|NOMAD|CONSUL|VAULT|TRAEFIK)_[A-Z0-9_]+)\b/g)) vars.add(m[1]!);
  }
  t.true(vars.size > 20);
  const missing = [...vars].filter((v) => !readme.includes(`\`${v}\``)).sort();
  t.deepEqual(missing, []);
});

test('drover ships with the node flags the memory benchmark measures (bin/drover.js shebang, Dockerfile entry)', async (t) => {
  const { SHIPPED_NODE_FLAGS } = await import('../scripts/bench/memory.js');
  const shebang = readFileSync('bin/drover.js', 'utf8').split('\n')[0]!;
  t.is(shebang, `#!/usr/bin/env -S node ${SHIPPED_NODE_FLAGS.join(' ')}`);
  const entry = /^ENTRYPOINT (.*)$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
  t.deepEqual(JSON.parse(entry!), ['/usr/bin/tini', '--', 'node', ...SHIPPED_NODE_FLAGS, 'bin/drover.js']);
});
