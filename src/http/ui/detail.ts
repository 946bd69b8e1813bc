// What the UI's app page shows beyond /apps/:ns/:name, computed on request from the snapshot drover
// serves: the app's source file (env and Vault values redacted), its rendered job (redacted by the
// same redactPatch rules as the drift in /apps), its Traefik routes, and the drift as rows of
// path / live value / git value (both sides through redactPatch). Pure apart from the inputs given.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { ClusterDefaults } from '../../config.js';
import { canonicalDesired, project } from '../../core/diff.js';
import type { NomadJob, NomadService } from '../../core/nomad-types.js';
import { REDACTED, redactPatch } from '../../core/redact.js';
import { parseRegistrarServices, renderJob } from '../../core/render/index.js';
import { DEFAULT_LIMITS, loadAppTexts, type LoadedApp } from '../../spec/index.js';
import { scalarRanges } from '../../spec/yaml.js';

export interface Route {
  kind: 'http' | 'tcp';
  router: string;
  /** the Consul/Nomad service carrying the tags */
  service: string;
  rule?: string;
  entrypoints: string[];
  tls: boolean;
  /** the h2c scheme of a gRPC router with a host */
  scheme?: string;
}

export interface DiffRow {
  op: Operation['op'];
  path: string;
  /** what Nomad holds now (absent for an add, or when the live job could not be read) */
  live?: unknown;
  /** what git says (absent for a remove) */
  desired?: unknown;
}

export interface RenderedApp {
  app?: LoadedApp;
  job?: NomadJob;
  /** why there is no job (the file no longer holds the app, or it does not render) */
  problem?: string;
}

/** Loads one file's text the way the controller's loader does, and renders the app `namespace/name`. */
export function renderFromFile(file: string, text: string, key: string, defaults: ClusterDefaults): RenderedApp {
  const loaded = loadAppTexts([{ file, text }], defaults);
  const app = loaded.apps.find((a) => a.key === key);
  if (!app) return { problem: loaded.invalidApps.has(key) ? 'the spec is invalid (see problems)' : `${file} does not define ${key} at this revision` };
  try {
    return { app, job: renderJob(app, defaults) };
  } catch (e) {
    return { app, problem: e instanceof Error ? e.message : String(e) };
  }
}

/** The job with every value under Env, Templates, EmbeddedTmpl or Vault (and env values copied elsewhere) redacted. */
export function redactJob(job: NomadJob): unknown {
  return (redactPatch([{ op: 'add', path: '', value: job }], job)[0] as { value: unknown }).value;
}

/** Drift rows with the live side read from the projected live job; both sides redacted like /apps. */
export function diffRows(drift: readonly Operation[], desired: NomadJob | undefined, live: NomadJob | null | undefined, ignoreCount: boolean): DiffRow[] {
  const projected = desired && live ? project(live, canonicalDesired(desired, { ignoreCount })) : undefined;
  return drift.map((op) => {
    const row: DiffRow = { op: op.op, path: op.path };
    if ('value' in op) row.desired = (op as { value: unknown }).value;
    if (projected !== undefined && op.op !== 'add') {
      let value: unknown;
      try {
        value = jsonpatch.getValueByPointer(projected, op.path);
      } catch {
        value = undefined;
      }
      if (value !== undefined) row.live = (redactPatch([{ op: 'replace', path: op.path, value }], desired)[0] as { value: unknown }).value;
    }
    return row;
  });
}

/** Every Traefik router the job's services (or, for weave proxy-mode apps, the registrar's) carry. */
export function routesOf(job: NomadJob, prefix: string): Route[] {
  const services: { name: string; tags: string[] }[] = [];
  const add = (list: NomadService[] | null | undefined) => {
    for (const s of list ?? []) services.push({ name: s.Name, tags: s.Tags ?? [] });
  };
  for (const tg of job.TaskGroups ?? []) {
    add(tg.Services);
    for (const task of tg.Tasks ?? []) {
      add(task.Services);
      for (const s of parseRegistrarServices(task.Meta) ?? []) services.push({ name: s.name, tags: s.tags });
    }
  }
  const routes = new Map<string, Route>();
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(http|tcp)\\.routers\\.([^.=]+)\\.([^=]+)=(.*)$`);
  for (const s of services) {
    for (const tag of s.tags) {
      const m = re.exec(tag);
      if (!m) continue;
      const [, kind, router, key, value] = m as unknown as [string, 'http' | 'tcp', string, string, string];
      const id = `${kind}/${router}`;
      const r = routes.get(id) ?? { kind, router, service: s.name, entrypoints: [], tls: false };
      if (key === 'rule') r.rule = value;
      else if (key === 'entrypoints') r.entrypoints = value.split(',').filter(Boolean);
      else if (key === 'tls' || key.startsWith('tls.')) r.tls = r.tls || value === 'true' || key.startsWith('tls.');
      routes.set(id, r);
    }
    for (const tag of s.tags) {
      const m = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.http\\.services\\.([^.=]+)\\.loadbalancer\\.server\\.scheme=(.*)$`).exec(tag);
      if (!m) continue;
      for (const r of routes.values()) if (r.kind === 'http' && r.router === m[1]) r.scheme = m[2];
    }
  }
  return [...routes.values()].sort((a, b) => (a.router < b.router ? -1 : a.router > b.router ? 1 : 0));
}

/**
 * The file's text with every spec.env value and every spec.vault scalar replaced by `<redacted>` (the
 * job's Env and Vault are redacted the same way), and any other scalar equal to an env value of four or
 * more characters — the rule redactPatch applies to a secret copied into another field.
 */
export function redactSourceText(text: string): string {
  const docs = scalarRanges(text, { maxDocuments: DEFAULT_LIMITS.maxDocumentsPerFile, maxDepth: DEFAULT_LIMITS.maxDepth, maxAliasCount: DEFAULT_LIMITS.maxAliasCount });
  if (!docs) return REDACTED; // never show what could not be parsed into parts we can redact
  const ranges: [number, number][] = [];
  const envValues = new Set<string>();
  for (const scalars of docs) {
    for (const sc of scalars) {
      const [top, field] = sc.path;
      if (top !== 'spec' || (field !== 'env' && field !== 'vault')) continue;
      ranges.push([sc.start, sc.end]);
      if (field === 'env' && typeof sc.value === 'string' && sc.value.length >= 4) envValues.add(sc.value);
    }
  }
  // the same value written elsewhere in the file (an anchor's copy, a comment-free repeat) is redacted too
  for (const scalars of docs) for (const sc of scalars) if (typeof sc.value === 'string' && envValues.has(sc.value)) ranges.push([sc.start, sc.end]);
  const merged = [...new Map(ranges.map((r) => [`${r[0]}:${r[1]}`, r])).values()].sort((a, b) => b[0] - a[0]);
  let out = text;
  let floor = Number.POSITIVE_INFINITY;
  for (const [start, end] of merged) {
    if (end > floor) continue; // nested in a range already replaced
    out = out.slice(0, start) + REDACTED + out.slice(end);
    floor = start;
  }
  return out;
}
