// Parse + validate a set of spec files into a LoadResult, in this order: YAML → schema (ajv) → semantic
// rules → cross-app rules. One bad document never hides another's result; a file that could not be read
// at all is listed in brokenFiles so the controller never prunes what it last defined.
import type { ClusterDefaults } from '../core/cluster-defaults.js';
import { API_VERSION, KIND, type AppManifest, type LoadedApp, type LoadResult, type Problem } from './types.js';
import { resolveLimits, type LoadLimits } from './limits.js';
import { parseYamlFile, type Locate, type ParsedDoc } from './parse.js';
import { appValidator, sharedJsonSchema } from './schema.js';
import { rewriteAjvError, show, type FieldProblem } from './messages.js';
import { formatPath, type Seg } from './paths.js';
import { checkApp } from './rules.js';
import { checkAcrossApps } from './cross.js';

export interface Candidate {
  file: string;
  /** positions of fields; holds no YAML tree until first asked (10,000 retained trees cost more in GC than parsing) */
  locate: Locate;
  data: Record<string, unknown>;
  line: number;
  col: number;
  /** `namespace/name` when metadata.name is readable */
  key?: string;
  namespace: string;
  name?: string;
}

/**
 * What one file contributes to a load before the cross-app rules: immutable, so an incremental loader
 * can keep it for a file whose bytes did not change and replay it into the next load.
 */
export interface FileEntry {
  readonly problems: readonly Problem[];
  readonly broken: boolean;
  /** `namespace/name` → problems, in the order the file rejected them */
  readonly invalid: ReadonlyArray<readonly [string, readonly Problem[]]>;
  readonly candidates: readonly Candidate[];
}

export class SpecLoader {
  private readonly problems: Problem[] = [];
  private readonly broken = new Set<string>();
  private readonly invalid = new Map<string, Problem[]>();
  private readonly candidates: Candidate[] = [];
  readonly limits: LoadLimits;

  constructor(private readonly defaults: ClusterDefaults, limits?: Partial<LoadLimits>) {
    this.limits = resolveLimits(limits);
  }

  /** A problem about a whole file (unreadable, too big, skipped); `broken` marks it for prune protection. */
  fileProblem(file: string, message: string, opts: { broken: boolean; severity?: 'error' | 'warning'; line?: number; col?: number }): void {
    this.problems.push({ file, line: opts.line ?? 1, col: opts.col ?? 1, path: '', message, severity: opts.severity ?? 'error' });
    if (opts.broken) this.broken.add(file);
  }

  markBroken(file: string): void {
    this.broken.add(file);
  }

  addText(file: string, text: string): void {
    const parsed = parseYamlFile(text, this.limits);
    for (const p of parsed.problems) this.fileProblem(file, p.message, { broken: false, severity: p.severity, line: p.line, col: p.col });
    if (parsed.broken) this.broken.add(file);
    for (const d of parsed.docs) this.addDocument(file, d);
  }

  /** Parses + validates one file on its own, for replay with addEntry (same result as addText). */
  static fileEntry(defaults: ClusterDefaults, limits: LoadLimits, file: string, text: string): FileEntry {
    const one = new SpecLoader(defaults, limits);
    one.addText(file, text);
    return { problems: one.problems, broken: one.broken.has(file), invalid: [...one.invalid], candidates: one.candidates };
  }

  /** Replays a file's contribution exactly as addText would have recorded it. */
  addEntry(file: string, entry: FileEntry): void {
    for (const p of entry.problems) this.problems.push(p);
    if (entry.broken) this.broken.add(file);
    for (const [key, list] of entry.invalid) this.invalid.set(key, [...(this.invalid.get(key) ?? []), ...list]);
    for (const c of entry.candidates) this.candidates.push(c);
  }

  private addDocument(file: string, d: ParsedDoc): void {
    const data = d.data;
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      this.fileProblem(file, 'skipped: the document is not a mapping, so not an App', { broken: false, severity: 'warning', line: d.line, col: d.col });
      return;
    }
    const obj = data as Record<string, unknown>;
    const meta = obj.metadata as Record<string, unknown> | undefined;
    const name = meta && typeof meta === 'object' && typeof meta.name === 'string' && meta.name !== '' ? meta.name : undefined;
    const ns = meta && typeof meta === 'object' && typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : this.defaults.namespace;
    const c: Candidate = { file, locate: d.locate, data: obj, line: d.line, col: d.col, name, namespace: ns, key: name === undefined ? undefined : `${ns}/${name}` };
    const drover = obj.kind === KIND || (typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('drover.io/'));
    if (!drover) {
      const what = `apiVersion ${show(obj.apiVersion ?? null)}, kind ${show(obj.kind ?? null)}`;
      this.fileProblem(file, `skipped: not a ${API_VERSION} ${KIND} (${what})`, { broken: false, severity: 'warning', line: d.line, col: d.col });
      return;
    }
    const problems = this.validate(c);
    if (problems.some((p) => (p.severity ?? 'error') === 'error')) return this.reject(c, problems);
    // warnings only (e.g. spec.rollout.maxParallel above count): the app stays valid, the warnings are listed
    for (const fp of problems) this.problems.push(this.problemFor(c, fp));
    this.candidates.push(c);
  }

  /** Schema first; semantic rules only for documents the schema accepts (they rely on its types). */
  private validate(c: Candidate): FieldProblem[] {
    const errors: FieldProblem[] = [];
    if (c.data.apiVersion !== API_VERSION && c.data.apiVersion !== undefined) {
      errors.push({ segs: ['apiVersion'], message: `${show(c.data.apiVersion)} is not supported; use ${API_VERSION}` });
    }
    if (c.data.kind !== KIND && c.data.kind !== undefined) {
      errors.push({ segs: ['kind'], message: `${show(c.data.kind)} is not a drover kind; use ${KIND}` });
    }
    const validate = appValidator();
    if (!validate(c.data)) {
      const schema = sharedJsonSchema();
      for (const e of validate.errors ?? []) {
        if (e.keyword === 'enum' && (e.instancePath === '/apiVersion' || e.instancePath === '/kind')) continue; // reported above
        errors.push(rewriteAjvError(e, c.data, schema));
      }
    }
    if (errors.length > 0) return errors;
    return checkApp(c.data as unknown as AppManifest, this.defaults);
  }

  private problemFor(c: Candidate, fp: FieldProblem): Problem {
    const pos = c.locate(fp.segs, fp.anchor);
    const p: Problem = { file: c.file, ...pos, path: formatPath(fp.segs), message: fp.message, severity: fp.severity ?? 'error' };
    if (c.key !== undefined) p.app = c.key;
    return p;
  }

  private reject(c: Candidate, fps: FieldProblem[]): void {
    const list = fps.map((fp) => this.problemFor(c, fp));
    this.problems.push(...list);
    if (c.key !== undefined && list.some((p) => p.severity === 'error')) {
      this.invalid.set(c.key, [...(this.invalid.get(c.key) ?? []), ...list]);
    }
  }

  finish(): LoadResult {
    const cs = this.candidates;
    const where = (i: number, segs: Seg[]) => {
      const pos = cs[i]!.locate(segs);
      return `${cs[i]!.file}:${pos.line}:${pos.col}`;
    };
    const cross = checkAcrossApps(cs.map((c) => ({ key: c.key!, manifest: c.data as unknown as AppManifest })), this.defaults, where);
    const apps: LoadedApp[] = [];
    cs.forEach((c, i) => {
      const fps = cross.get(i);
      if (fps) return this.reject(c, fps);
      apps.push({ key: c.key!, namespace: c.namespace, name: c.name!, manifest: c.data as unknown as AppManifest, source: { file: c.file, line: c.line, col: c.col } });
    });
    return { apps, problems: [...this.problems].sort(byPlace), brokenFiles: [...this.broken].sort(), invalidApps: this.invalid };
  }
}

function byPlace(a: Problem, b: Problem): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}
