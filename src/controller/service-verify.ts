// Service verification of one running app (issue #5): reads what the service catalog holds for each
// service the desired job promises — Consul's health endpoint for provider consul, Nomad's own list for
// provider nomad — and compares it with core/verify.ts. It only reads: drift found here is reported
// (status.consul, metrics, health), never "fixed" by a Nomad write, since re-registering an in-sync job
// would not change what an agent or an operator did to Consul.
// Cost: one catalog request per expected service per call; apps without services cost nothing.
import type { ConsulApi, NomadApi } from '../clients/types.js';
import type { Clock } from '../core/clock.js';
import { toDroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { NomadJob, NomadService } from '../core/nomad-types.js';
import { parseRegistrarServices } from '../core/render/index.js';
import type { ConsulVerifyStatus } from '../core/status.js';
import { expectedServicesFromJob, observedFromConsul, observedFromNomad, partitionInstances, verifyConsul, type ExpectedService, type ObservedInstance } from '../core/verify.js';
import { routeHealth } from '../core/route-verify.js';
import type { Metrics } from '../metrics.js';
import type { AppRecord } from './app-record.js';
import { allocList } from './observed.js';

export interface VerifyContext {
  consul: ConsulApi;
  nomad: NomadApi;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** keep every instance of the app's service names on the record (the route check explains with them; only then) */
  keepInstances?: boolean;
}

/** Only a job that runs the desired version with settled health is compared; anything else would be noise. */
export function verifiable(rec: AppRecord): boolean {
  const base = rec.baseHealth?.status;
  return !rec.problems && !!rec.desired && !!rec.app && !rec.failed && rec.healthFinal
    && rec.seen?.exists === true && !rec.seen.stop && rec.status.sync === 'Synced'
    && (base === 'Healthy' || base === 'Degraded');
}

export async function verifyServices(rec: AppRecord, ctx: VerifyContext): Promise<void> {
  const labels = { namespace: rec.namespace, app: rec.name };
  const expected = expectedServicesFromJob(withRegistrarServices(rec.desired!), allocList(rec.observed) ?? [], rec.app!.manifest.spec.weave?.subnet);
  if (expected.length === 0) {
    rec.status.consul = undefined;
    ctx.metrics.verify.consulDrift.set(labels, 0);
    ctx.metrics.verify.setInstances(rec.namespace, rec.name, []);
    return;
  }
  let observed: ObservedInstance[];
  const others: string[] = [];
  try {
    const allocIds = new Set((allocList(rec.observed) ?? []).map((a) => a.ID));
    const everyone: ObservedInstance[] = [];
    const nomadIndexes: number[] = [];
    observed = (await Promise.all(expected.map(async (e) => {
      const all = await observe(e, rec, ctx, nomadIndexes);
      everyone.push(...all);
      if (e.provider === 'nomad') return all; // already this job's only (filtered by JobID)
      const split = partitionInstances(all, allocIds);
      if (split.others.length > 0) others.push(`service ${e.name}: ${split.others.length} instance(s) of other jobs or registrations share this Consul name (not counted; Traefik's consulCatalog sees them all)`);
      return split.mine;
    }))).flat();
    // Traefik sees every instance of the name, the app's own and others': the route check explains with all of them.
    rec.observedInstances = ctx.keepInstances ? everyone : undefined;
    // Nomad's service table as of the oldest of these reads: while its index stays there, nothing registered changed.
    rec.nomadServicesVerifiedAt = nomadIndexes.length > 0 ? Math.min(...nomadIndexes) : undefined;
  } catch (e) {
    rec.nomadServicesVerifiedAt = undefined;
    const err = toDroverError(e);
    const prev = rec.status.consul;
    rec.status.consul = { ...(prev ?? { drift: false, problems: [], notes: [], instances: [] }), state: 'unreachable', error: `${err.code}: ${err.message}` };
    ctx.metrics.verify.consulVerifications.inc({ result: 'unreachable' });
    ctx.logger.warn('service verification: catalog unreachable', { app: rec.key, code: err.code, error: err.message });
    return;
  }
  const r = verifyConsul(expected, observed);
  r.notes.push(...others);
  const wasDrift = rec.status.consul?.drift === true;
  const status: ConsulVerifyStatus = {
    state: 'verified', drift: r.drift, problems: r.problems, notes: r.notes, instances: r.instances, checkedAt: new Date(ctx.clock.now()).toISOString(),
  };
  rec.status.consul = status;
  ctx.metrics.verify.consulDrift.set(labels, r.drift ? 1 : 0);
  ctx.metrics.verify.setInstances(rec.namespace, rec.name, expected.map((e) => e.name), r.instances);
  ctx.metrics.verify.consulVerifications.inc({ result: r.drift ? 'drift' : r.problems.length ? 'problems' : 'ok' });
  if (r.drift && !wasDrift) ctx.logger.warn('service catalog differs from the job (reported, not fixed)', { app: rec.key, problems: r.problems });
}

/** status.health = Nomad's health, made Degraded (with the reasons) by catalog drift or a critical check. */
export function applyHealth(rec: AppRecord): void {
  const base = rec.baseHealth;
  if (!base) return;
  rec.status.health = base.status;
  rec.status.healthReasons = [...base.reasons];
  const routes = routeHealth(rec.status.routes);
  if (routes.reasons.length > 0 && (base.status === 'Healthy' || base.status === 'Degraded' || base.status === 'Progressing')) {
    rec.status.healthReasons.push(...routes.reasons);
    if (routes.degraded) rec.status.health = 'Degraded';
  }
  const c = rec.status.consul;
  if (!c || c.state !== 'verified' || c.problems.length === 0) return;
  if (base.status !== 'Healthy' && base.status !== 'Degraded') return;
  rec.status.healthReasons.push(...c.problems.map((p) => `consul: ${p}`));
  if (c.drift || c.instances.some((i) => i.state === 'critical')) rec.status.health = 'Degraded';
}

async function observe(exp: ExpectedService, rec: AppRecord, ctx: VerifyContext, nomadIndexes: number[]): Promise<ObservedInstance[]> {
  if (exp.provider === 'nomad') {
    const { value: regs, index } = await ctx.nomad.listServiceRegistrations(exp.name, { namespace: rec.namespace });
    nomadIndexes.push(index);
    return observedFromNomad(regs.filter((r) => r.JobID === rec.name));
  }
  return observedFromConsul((await ctx.consul.healthService(exp.name)).value);
}

/**
 * Weave proxy-mode tasks carry their services in task Meta (drover's node registrar registers them,
 * not Nomad); for verification they are promised services like any other, registered in Consul.
 */
function withRegistrarServices(job: NomadJob): NomadJob {
  let touched = false;
  const groups = (job.TaskGroups ?? []).map((g) => ({
    ...g,
    Tasks: (g.Tasks ?? []).map((t) => {
      const regs = parseRegistrarServices(t.Meta);
      if (!regs?.length) return t;
      touched = true;
      const extra: NomadService[] = regs.map((r) => ({ Name: r.name, Tags: r.tags, PortLabel: r.portLabel, Provider: 'consul' }) as NomadService);
      return { ...t, Services: [...(t.Services ?? []), ...extra] };
    }),
  }));
  return touched ? { ...job, TaskGroups: groups } : job;
}
