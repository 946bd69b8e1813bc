// Per-controller memory between snapshots, so applying a commit costs in proportion to what it changed:
// the spec loader's per-file parse + validate results (path + content hash) and each app's rendered job.
// A manifest object is only ever produced again by the loader for identical file bytes at the same path,
// so its identity stands for its content; renders are kept per manifest object and vanish with it.
import type { ClusterDefaults } from '../config.js';
import { renderJob, specHash } from '../core/render/index.js';
import type { NomadJob } from '../core/nomad-types.js';
import { createIncrementalLoader, type IncrementalLoader } from '../source/spec-files.js';
import type { AppManifest, LoadedApp } from '../spec/types.js';

export class SnapshotCache {
  readonly loader: IncrementalLoader;
  private readonly renders = new WeakMap<AppManifest, { file: string; key: string; rendered: RenderedApp }>();

  constructor(readonly cluster: ClusterDefaults) {
    this.loader = createIncrementalLoader(cluster);
  }

  /** renderApp(app, cluster), reusing the job rendered for this very manifest object (jobs are never mutated). */
  render(app: LoadedApp): RenderedApp {
    const hit = this.renders.get(app.manifest);
    if (hit && hit.file === app.source.file && hit.key === app.key) return hit.rendered;
    const rendered = renderApp(app, this.cluster);
    this.renders.set(app.manifest, { file: app.source.file, key: app.key, rendered });
    return rendered;
  }
}

export interface RenderedApp {
  job: NomadJob;
  /** specHash(job): what drover records as applied, and how a new commit is told from an unchanged one */
  hash: string;
}

export function renderApp(app: LoadedApp, cluster: ClusterDefaults): RenderedApp {
  const job = renderJob(app, cluster);
  return { job, hash: specHash(job) };
}

// Keyed by the controller's records map, which lives exactly as long as the controller.
const caches = new WeakMap<object, SnapshotCache>();

/** The cache for this controller; a new one when the cluster defaults object changed (they shape both results). */
export function snapshotCacheFor(owner: object, cluster: ClusterDefaults): SnapshotCache {
  const found = caches.get(owner);
  if (found && found.cluster === cluster) return found;
  const fresh = new SnapshotCache(cluster);
  caches.set(owner, fresh);
  return fresh;
}
