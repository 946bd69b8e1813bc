import test from 'ava';
import { ConfigError } from '../../src/config.js';
import { loadRunConfig } from '../../src/main.js';

test('run needs DROVER_GIT_URL, and lists it together with every other problem', (t) => {
  const e = t.throws(() => loadRunConfig({ DROVER_LOG_LEVEL: 'loud', DROVER_GIT_PATH: '../outside' }), { instanceOf: ConfigError }) as ConfigError;
  t.is(e.problems.length, 3, e.message);
  t.regex(e.message, /DROVER_LOG_LEVEL: "loud"/);
  t.regex(e.message, /DROVER_GIT_URL: required/);
  t.regex(e.message, /DROVER_GIT_PATH: "\.\.\/outside" must be a path inside the repository/);
  t.false(e.message.includes('    at '));
});

test('a complete environment gives the config', (t) => {
  const c = loadRunConfig({ DROVER_GIT_URL: 'https://git.example/org/apps.git', DROVER_GIT_REF: 'v1.2.0', DROVER_LISTEN: '127.0.0.1:0' });
  t.is(c.git.url, 'https://git.example/org/apps.git');
  t.is(c.git.ref, 'v1.2.0');
  t.deepEqual(c.listen, { host: '127.0.0.1', port: 0 });
});
