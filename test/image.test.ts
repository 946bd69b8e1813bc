// The Docker image is built from an allow-list (.dockerignore) and must not carry the simulator, the tests or
// the scripts. There is no Docker engine on the test machines, so this applies Docker's own ignore rules
// (@balena/dockerignore, the semantics of Docker's build-context filter) to the files git tracks and checks
// what would be sent, and that every COPY of the Dockerfile names something that is sent.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dockerignoreModule from '@balena/dockerignore';

// A CommonJS module whose types declare `export default`: at run time the default import is the factory itself.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

const root = new URL('..', import.meta.url).pathname;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
}

function buildContext(): string[] {
  const rules = dockerignore({ ignorecase: false }).add(readFileSync(join(root, '.dockerignore'), 'utf8').split('\n'));
  return trackedFiles().filter(rules.createFilter());
}

/** The sources of the Dockerfile's COPY instructions that read the build context (not another stage). */
function copiedFromContext(): string[] {
  const sources: string[] = [];
  for (const line of readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n')) {
    const m = /^\s*COPY\s+(.*)$/i.exec(line);
    if (!m || /--from=/.test(m[1]!)) continue;
    const words = m[1]!.split(/\s+/).filter((w) => w && !w.startsWith('--'));
    sources.push(...words.slice(0, -1).map((w) => w.replace(/^\.\//, '').replace(/\/$/, '')));
  }
  return sources;
}

test('the build context holds drover and its lockfile, and none of the simulator, tests, scripts or examples', (t) => {
  const context = buildContext();
  t.true(context.includes('package.json') && context.includes('package-lock.json'));
  t.true(context.some((f) => f.startsWith('src/')), 'drover\'s sources are sent');
  t.true(trackedFiles().some((f) => f.startsWith('sim/src/')), 'the simulator is tracked in the repository');
  for (const dir of ['sim/', 'test/', 'scripts/', 'examples/', 'node_modules/', 'dist/']) {
    t.deepEqual(context.filter((f) => f.startsWith(dir)), [], `${dir} stays out of the build context`);
  }
  t.deepEqual(context.filter((f) => /(^|\/)sim\//.test(f) && !f.startsWith('src/cli/')), [], 'no simulator module anywhere in the context');
});

test('every COPY from the build context names a file or folder that is in it', (t) => {
  const context = buildContext();
  const sources = copiedFromContext();
  t.true(sources.length >= 5, `COPY sources found: ${sources.join(', ')}`);
  for (const source of sources) {
    t.true(context.some((f) => f === source || f.startsWith(`${source}/`)), `COPY ${source}: not in the build context`);
  }
});

test('the only module of src/ that names the simulator package loads it at run time, by a name the compiler does not follow', (t) => {
  const naming = trackedFiles().filter((f) => f.startsWith('src/') && f.endsWith('.ts'))
    .filter((f) => readFileSync(join(root, f), 'utf8').includes('@drover/sim'));
  t.deepEqual(naming, ['src/cli/commands/sim.ts']);
  const text = readFileSync(join(root, 'src/cli/commands/sim.ts'), 'utf8');
  t.notRegex(text, /from\s+['"]@drover\/sim/, 'no static import of the simulator');
  t.regex(text, /await import\(specifier\)/);
});
