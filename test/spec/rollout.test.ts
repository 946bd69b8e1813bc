// spec.rollout rules with the cluster defaults in play (the corpus in invalid-corpus.test.ts holds the
// errors with exact positions; these rows add warnings, what valid combinations stay valid, and which
// field a problem is reported on when a DROVER_ROLLOUT_* default takes part).
import test from 'ava';
import { parseConfig } from '../../src/config.js';
import { loadAppTexts, problemToString } from '../../src/spec/index.js';

interface Row {
  title: string;
  rollout: string;
  env?: Record<string, string>;
  count?: number;
  scaling?: boolean;
  lines: string[];
}

function text(r: Row): string {
  return `apiVersion: drover.io/v1alpha1
kind: App
metadata:
  name: web
spec:
  image: nginx:1.27
  port: 8080
  count: ${r.count ?? 3}
${r.scaling ? '  scaling:\n    min: 1\n    max: 5\n' : ''}  rollout:
${r.rollout}`;
}

const rows: Row[] = [
  { title: 'every field within Nomad\'s rules is valid', rollout: '    maxParallel: 2\n    minHealthyTime: 0s\n    healthyDeadline: 2m\n    progressDeadline: 5m\n    canaries: 2\n    autoPromote: true\n    autoRevert: true\n    healthCheck: manual\n', lines: [] },
  { title: 'progressDeadline 0 accepts any healthy deadline', rollout: '    healthyDeadline: 2h\n    progressDeadline: "0"\n', lines: [] },
  { title: 'a healthy deadline within the cluster\'s longer progress deadline is valid', rollout: '    healthyDeadline: 15m\n', env: { DROVER_ROLLOUT_PROGRESS_DEADLINE: '30m' }, lines: [] },
  { title: 'the same healthy deadline against Nomad\'s 10m default is not',
    rollout: '    healthyDeadline: 15m\n',
    lines: ["a.yaml:10:22 spec.rollout.healthyDeadline: 15m must be shorter than progressDeadline 10m (Nomad's default); raise progressDeadline or set it to 0"] },
  { title: 'an app\'s minHealthyTime against the cluster\'s healthy deadline names the variable',
    rollout: '    minHealthyTime: 2m\n', env: { DROVER_ROLLOUT_HEALTHY_DEADLINE: '90s' },
    lines: ['a.yaml:10:21 spec.rollout.minHealthyTime: 2m must be shorter than healthyDeadline 90s (DROVER_ROLLOUT_HEALTHY_DEADLINE)'] },
  { title: 'an app\'s own progressDeadline below the cluster\'s healthy deadline is reported on the app\'s field',
    rollout: '    progressDeadline: 1m\n', env: { DROVER_ROLLOUT_HEALTHY_DEADLINE: '90s' },
    lines: ['a.yaml:10:23 spec.rollout.progressDeadline: 1m must be longer than healthyDeadline 90s (DROVER_ROLLOUT_HEALTHY_DEADLINE), or 0 (the first unhealthy allocation fails the deployment)'] },
  { title: 'canaries with the cluster\'s maxParallel 0 name the variable',
    rollout: '    canaries: 1\n', env: { DROVER_ROLLOUT_MAX_PARALLEL: '0' },
    lines: ["a.yaml:10:15 spec.rollout.canaries: need maxParallel of at least 1: maxParallel 0 (DROVER_ROLLOUT_MAX_PARALLEL) turns Nomad's deployments off, so no canary would wait for promotion"] },
  { title: 'an app turning deployments off under a cluster auto-revert is a warning, not an error',
    rollout: '    maxParallel: 0\n', env: { DROVER_ROLLOUT_AUTO_REVERT: 'true' },
    lines: ["warning: a.yaml:10:18 spec.rollout.maxParallel: 0 turns Nomad's deployments off, so auto-revert (DROVER_ROLLOUT_AUTO_REVERT) would never act"] },
  { title: 'maxParallel above count warns like Nomad does',
    rollout: '    maxParallel: 5\n',
    lines: ['warning: a.yaml:10:18 spec.rollout.maxParallel: 5 is more than spec.count (3): a change that restarts tasks replaces every allocation at once'] },
  { title: 'maxParallel above a count of 1, or with an autoscaler owning count, does not warn', rollout: '    maxParallel: 5\n', count: 1, lines: [] },
  { title: 'with scaling the count is the autoscaler\'s: no warning', rollout: '    maxParallel: 5\n', scaling: true, lines: [] },
];

const macro = test.macro({
  exec(t, r: Row) {
    const defaults = parseConfig(r.env ?? {}).cluster;
    const result = loadAppTexts([{ file: 'a.yaml', text: text(r) }], defaults);
    t.deepEqual(result.problems.map((p) => `${p.severity === 'warning' ? 'warning: ' : ''}${problemToString(p)}`), r.lines);
    const errors = r.lines.filter((l) => !l.startsWith('warning: ')).length;
    t.is(result.apps.length, errors > 0 ? 0 : 1, 'an app with only warnings is still valid');
  },
  title: (_p, r: Row) => `rollout: ${r.title}`,
});

for (const r of rows) test(macro, r);
