// Which services a Nomad task wants drover to register, read from its job's task Meta
// (`drover.services`, written by renderJob for weave proxy-mode apps). The job list (one call per
// namespace per pass) gives each job's JobModifyIndex; a job is read again only when that moved.
import { OWNERSHIP_META, parseRegistrarServices, type RegistrarService } from '../core/render/index.js';
import type { NomadApi } from '../clients/types.js';
import type { NomadJob } from '../core/nomad-types.js';

interface CachedJob {
  jobModifyIndex: number;
  /** task name → its services; null when the job is not this owner's */
  tasks: Map<string, RegistrarService[]> | null;
}

export class JobServices {
  private readonly cache = new Map<string, CachedJob>();

  constructor(private readonly nomad: NomadApi, private readonly owner: string) {}

  /** Starts a pass: the per-namespace job lists of the previous pass are stale. */
  beginPass(): PassView {
    return new PassView(this.nomad, this.owner, this.cache);
  }
}

export class PassView {
  private readonly lists = new Map<string, Promise<Map<string, number>>>();

  constructor(private readonly nomad: NomadApi, private readonly owner: string, private readonly cache: Map<string, CachedJob>) {}

  /**
   * The services of `task`, [] when the job is missing, not this owner's, or the task declares none.
   * Throws (a DroverError from the client) when Nomad could not be asked: the caller keeps what it has.
   */
  async servicesOf(namespace: string, jobId: string, task: string): Promise<RegistrarService[]> {
    const index = (await this.jobIndexes(namespace)).get(jobId);
    const key = `${namespace}\u0000${jobId}`;
    if (index === undefined) {
      this.cache.delete(key);
      return [];
    }
    let cached = this.cache.get(key);
    if (!cached || cached.jobModifyIndex !== index) {
      const job = (await this.nomad.readJob(jobId, { namespace })).value;
      cached = { jobModifyIndex: job?.JobModifyIndex ?? index, tasks: job ? this.tasksOf(job) : null };
      this.cache.set(key, cached);
    }
    return cached.tasks?.get(task) ?? [];
  }

  private jobIndexes(namespace: string): Promise<Map<string, number>> {
    let p = this.lists.get(namespace);
    if (!p) {
      p = this.nomad.listJobs({ namespace }).then((r) => new Map(r.value.map((j) => [j.ID, j.JobModifyIndex])));
      // A failed list is not remembered, so the next container of this pass asks again.
      p.catch(() => this.lists.delete(namespace));
      this.lists.set(namespace, p);
    }
    return p;
  }

  private tasksOf(job: NomadJob): Map<string, RegistrarService[]> | null {
    if (job.Meta?.[OWNERSHIP_META.managed] !== 'true' || job.Meta?.[OWNERSHIP_META.owner] !== this.owner) return null;
    const tasks = new Map<string, RegistrarService[]>();
    for (const group of job.TaskGroups ?? []) {
      for (const t of group.Tasks ?? []) {
        const services = parseRegistrarServices(t.Meta);
        if (services) tasks.set(t.Name, services);
      }
    }
    return tasks;
  }
}
