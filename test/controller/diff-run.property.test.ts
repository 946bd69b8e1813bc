// (3) `drover diff` plans exactly what `drover run` then does, for the same inputs, over generated states:
// live jobs of ours (some changed or stopped by hand, some recorded as applied, some from before the
// applied store), of another owner and unmanaged ones; apps with self-heal and adopt set at random; more
// or fewer apps than jobs. `diff`'s plan (planDir, what the CLI prints) is taken first, read-only; then a
// controller runs the same revision against the same simulated Nomad, and what changed in Nomad (jobs
// created, written, stopped) must be exactly the plan's creates, updates and stops.
import test from 'ava';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planDir } from '../../src/cli/commands/diff.js';
import { AppliedStore } from '../../src/controller/applied-store.js';
import { nullLogger } from '../../src/core/logger.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { isChange } from '../../src/core/plan.js';
import { renderJob, specHash } from '../../src/core/render/index.js';
import { loadAppTexts } from '../../src/spec/index.js';
import { loadAppDir } from '../../src/source/spec-files.js';
import { appYaml, startHarness } from './harness.js';

const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
type LiveKind = 'none' | 'ours' | 'ours-stopped' | 'ours-edited' | 'other' | 'unmanaged';
interface Case {
  apps: { name: string; count: number; selfHeal: boolean; adopt: boolean }[];
  live: { name: string; kind: LiveKind; count: number; recorded: 'none' | 'current' | 'older' }[];
  share: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  apps: fc.uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), count: fc.integer({ min: 1, max: 2 }), selfHeal: fc.boolean(), adopt: fc.boolean() }), { selector: (a) => a.name, maxLength: NAMES.length }),
  live: fc.uniqueArray(fc.record({
    name: fc.constantFrom(...NAMES), kind: fc.constantFrom<LiveKind>('ours', 'ours', 'ours-stopped', 'ours-edited', 'ours-edited', 'other', 'unmanaged', 'none'),
    count: fc.integer({ min: 1, max: 2 }), recorded: fc.constantFrom('none' as const, 'current' as const, 'older' as const),
  }), { selector: (l) => l.name, maxLength: NAMES.length }),
  share: fc.constantFrom(0.2, 0.5, 1),
});

function yamlOf(a: Case['apps'][number]): string {
  return appYaml(a.name, { count: a.count }).replace(/\n$/, '') + `\n  sync:\n    selfHeal: ${a.selfHeal}\n    adopt: ${a.adopt}\n`;
}

test('(3) drover diff\'s plan equals the writes drover run then makes, over generated cluster states', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      runs += 1;
      const h = await startHarness(t, { config: { pruneMaxShare: c.share } });
      const config = h.config;
      const dir = await mkdtemp(join(tmpdir(), 'drover-prop-'));
      try {
        // The cluster as the case says, written over Nomad's HTTP API (and drover's applied state through its store).
        const seed = new AppliedStore({ nomad: h.nomad, owner: config.cluster.owner, ledgerNamespace: 'default', logger: nullLogger, canWrite: () => true });
        await seed.load();
        for (const l of c.live) {
          if (l.kind === 'none') continue;
          // Mostly the spec git has for it (so "recorded current" means applied and unchanged), else its own.
          const count = c.apps.find((a) => a.name === l.name)?.count ?? l.count;
          const app = loadAppTexts([{ file: `${l.name}.yaml`, text: appYaml(l.name, { count }) }], config.cluster).apps[0]!;
          const job = renderJob(app, config.cluster) as NomadJob;
          if (l.kind === 'other') job.Meta = { 'drover.managed': 'true', 'drover.owner': 'someone-else' };
          if (l.kind === 'unmanaged') job.Meta = { team: 'ops' };
          await h.call('PUT', '/v1/jobs', { Job: job });
          if (l.kind === 'ours-edited') await h.call('PUT', '/v1/jobs', { Job: { ...job, TaskGroups: [{ ...job.TaskGroups[0]!, Count: 5 }] } });
          if (l.kind === 'ours-stopped') await h.call('DELETE', `/v1/job/${l.name}`);
          if (l.kind.startsWith('ours') && l.recorded !== 'none') {
            seed.set('default', l.name, { specHash: l.recorded === 'current' ? specHash(job) : 'ffffffffffffffff', source: `${l.name}.yaml` });
          }
        }
        await seed.flush();

        const files: Record<string, string> = {};
        for (const a of c.apps) files[`${a.name}.yaml`] = yamlOf(a);
        for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
        const revision = (1).toString(16).padStart(40, '0'); // the FakeSource's first commit
        const loaded = await loadAppDir(dir, config.cluster);
        const plan = await planDir(dir, loaded, config, h.nomad, revision);
        const predicted = plan.filter(isChange).map((e) => `${e.action === 'stop' ? 'stop' : 'write'} ${e.key}`).sort();

        const before = new Map(NAMES.map((n) => [n, h.sim.getJob('default', n)]));
        await h.controller.start();
        await h.source.commit(files);
        await h.controller.idle(20_000);
        const did: string[] = [];
        for (const n of NAMES) {
          const b = before.get(n);
          const a = h.sim.getJob('default', n);
          if (!a) continue;
          if (!b || a.JobModifyIndex !== b.JobModifyIndex) did.push(`${a.Stop && !b?.Stop ? 'stop' : 'write'} default/${n}`);
        }
        did.sort();
        if (JSON.stringify(did) !== JSON.stringify(predicted)) {
          throw new Error(`diff planned ${JSON.stringify(predicted)} but run did ${JSON.stringify(did)}\ncase: ${JSON.stringify(c)}\nplan: ${JSON.stringify(plan.map((e) => [e.key, e.action, e.cause]))}`);
        }
      } finally {
        await h.controller.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 40 },
  );
  t.true(runs >= 40);
});
