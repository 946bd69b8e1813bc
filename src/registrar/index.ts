// The node registrar: Registrator's job (seed 002) for weave proxy-mode apps (seed 003). One per
// drover instance, acting for its own node: every pass it lists the local Docker containers Nomad
// started, keeps those with WEAVE_CIDR whose job this drover owns, asks the local weave router for
// each one's weave address, and makes the LOCAL Consul agent hold exactly those services (registering
// what is missing or changed, removing this owner's registrations whose container is gone — which
// also cleans what a crashed drover left behind). Polling, not Docker events: a pass is a handful of
// local calls, and level-based passes need no event bookkeeping to stay correct.
// Must not import: @nestjs/*, src/controller, src/cli (the lead wires it in).
import type { ConsulApi, NomadApi } from '../clients/types.js';
import { DroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import type { Scheduler, Timer } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';
import type { DockerApi } from './docker.js';
import { NOMAD_LABELS } from './docker.js';
import { desiredRegistrations, pickAddress, planSync, REGISTRATION_META, weaveSubnet, type ResolvedContainer } from './desired.js';
import { JobServices, type PassView } from './jobs.js';
import type { WeaveApi } from './weave.js';

export { parseRegistrarConfig, type RegistrarConfig } from './config.js';
export { DockerClient, type DockerApi } from './docker.js';
export { WeaveClient, type WeaveApi } from './weave.js';
export { registrationId, REGISTRATION_META } from './desired.js';

export interface RegistrarPassStats {
  /** weave proxy-mode containers of this owner's jobs seen running */
  containers: number;
  /** registrations wanted (known containers × their services) */
  desired: number;
  /** wanted and held by the agent after the pass */
  registered: number;
  /** wanted but not (yet) registered: the agent refused or was unreachable */
  pending: number;
  /** removed this pass (container gone, or left behind by an earlier drover) */
  deregistered: number;
  /** containers whose state could not be learnt this pass; their registrations are kept as they are */
  unknown: number;
  /** why the pass stopped early (docker or Consul unreachable); the next pass retries */
  error?: string;
}

export interface NodeRegistrarOptions {
  owner: string;
  docker: DockerApi;
  weave: WeaveApi;
  nomad: NomadApi;
  /** the LOCAL Consul agent of this node */
  consul: ConsulApi;
  intervalMs: number;
  /** the pass timer; default Node's timers */
  scheduler?: Scheduler;
  logger?: Logger;
  /** called after every pass, e.g. to set drover_registrar_services{state} */
  onPass?: (stats: RegistrarPassStats) => void;
}

export class NodeRegistrar {
  private readonly jobs: JobServices;
  private readonly log: Logger;
  /** alloc ID → "namespace/job" of the containers seen, so a registration's app is known when it goes */
  private readonly allocApps = new Map<string, string>();
  private readonly changeListeners: Array<(appKeys: string[]) => void> = [];
  private timer?: Timer;
  private running?: Promise<RegistrarPassStats>;
  private stopped = true;

  constructor(private readonly o: NodeRegistrarOptions) {
    this.jobs = new JobServices(o.nomad, o.owner);
    this.log = (o.logger ?? nullLogger).child({ component: 'registrar' });
  }

  /** Runs a pass at once (this is where a restarted drover cleans up), then every intervalMs. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      await this.runPass();
      if (!this.stopped) this.timer = (this.o.scheduler ?? plainScheduler).timeout('registrar-pass', this.o.intervalMs, () => void loop());
    };
    void loop();
  }

  /** Stops polling and waits for a pass in flight. Registrations stay: they describe live containers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running?.catch(() => undefined);
  }

  /** One pass; passes never overlap (a second caller shares the one in flight). */
  runPass(): Promise<RegistrarPassStats> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<RegistrarPassStats> {
    const stats: RegistrarPassStats = { containers: 0, desired: 0, registered: 0, pending: 0, deregistered: 0, unknown: 0 };
    try {
      await this.sync(stats);
    } catch (e) {
      stats.error = e instanceof DroverError ? e.message : 'unexpected error';
      this.log.warn('registrar pass stopped; retrying next pass', { error: stats.error });
      if (!(e instanceof DroverError)) this.log.error('registrar bug', { error: String(e) });
    }
    this.o.onPass?.(stats);
    return stats;
  }

  private async sync(stats: RegistrarPassStats): Promise<void> {
    // Docker down: nothing is known about this node, so nothing is removed either.
    const listed = await this.o.docker.listNomadContainers();
    const view = this.jobs.beginPass();
    const resolved: ResolvedContainer[] = [];
    const unknownAllocs = new Set<string>();
    for (const c of listed) {
      const allocId = c.labels[NOMAD_LABELS.allocId] ?? '';
      try {
        const r = await this.resolve(view, c.id);
        if (r) resolved.push(r);
      } catch (e) {
        unknownAllocs.add(allocId);
        this.log.warn('container state unknown this pass; its registrations are kept', { container: c.id.slice(0, 12), alloc: allocId, error: (e as Error).message });
      }
    }
    stats.containers = resolved.length + unknownAllocs.size;
    stats.unknown = unknownAllocs.size;
    const desired = desiredRegistrations(this.o.owner, resolved);
    stats.desired = desired.length;
    const current = await this.o.consul.agentServices();
    const plan = planSync(this.o.owner, desired, current, unknownAllocs);
    const changed = new Set<string>();
    const appOf = (allocId: string | undefined) => {
      const key = allocId ? this.allocApps.get(allocId) : undefined;
      if (key) changed.add(key);
    };
    let failed = 0;
    for (const reg of plan.register) {
      try {
        await this.o.consul.registerService(reg, { replaceExistingChecks: true });
        appOf(reg.Meta?.[REGISTRATION_META.alloc]);
        this.log.info('registered', { id: reg.ID, address: `${reg.Address}:${reg.Port}` });
      } catch (e) {
        failed++;
        this.log.warn('register failed; retrying next pass', { id: reg.ID, error: (e as Error).message });
      }
    }
    for (const id of plan.deregister) {
      try {
        await this.o.consul.deregisterService(id);
        appOf(current[id]?.Meta?.[REGISTRATION_META.alloc] ?? undefined);
        stats.deregistered++;
        this.log.info('deregistered', { id });
      } catch (e) {
        this.log.warn('deregister failed; retrying next pass', { id, error: (e as Error).message });
      }
    }
    stats.pending = failed;
    stats.registered = desired.length - failed;
    // Forget allocations with nothing registered any more (after their apps were told above).
    const held = new Set(desired.map((r) => r.Meta?.[REGISTRATION_META.alloc]));
    for (const allocId of this.allocApps.keys()) if (!held.has(allocId) && !unknownAllocs.has(allocId)) this.allocApps.delete(allocId);
    if (changed.size > 0) for (const l of this.changeListeners) l([...changed].sort());
  }

  /** Called after a pass that registered or removed something, with the apps ("namespace/job") concerned. */
  onChange(listener: (appKeys: string[]) => void): void {
    this.changeListeners.push(listener);
  }

  /** A managed proxy-mode container with its weave address; null when it is not ours to register. */
  private async resolve(view: PassView, id: string): Promise<ResolvedContainer | null> {
    const info = await this.o.docker.inspect(id);
    if (!info || !info.running) return null;
    const weaveCidr = info.env.WEAVE_CIDR;
    if (weaveCidr === undefined || weaveCidr.trim() === '' || weaveCidr.trim() === 'none') return null;
    const allocId = info.labels[NOMAD_LABELS.allocId];
    const jobId = info.labels[NOMAD_LABELS.jobId] ?? info.labels[NOMAD_LABELS.jobName];
    const task = info.labels[NOMAD_LABELS.taskName];
    if (!allocId || !jobId || !task) return null;
    this.allocApps.set(allocId, `${info.labels[NOMAD_LABELS.namespace] || 'default'}/${jobId}`);
    const services = await view.servicesOf(info.labels[NOMAD_LABELS.namespace] || 'default', jobId, task);
    if (services.length === 0) return null;
    const subnet = weaveSubnet(weaveCidr);
    const ip = pickAddress(await this.o.weave.addresses(info.id, subnet), subnet);
    // Not attached yet (the weave proxy attaches right after start): unknown, looked at again next pass.
    if (!ip) throw new DroverError('not-found', `weave holds no address${subnet ? ` in ${subnet}` : ''} for container ${info.id.slice(0, 12)} yet`, { upstream: 'weave' });
    return { containerId: info.id, allocId, task, weaveIp: ip, services };
  }
}

/** An onPass callback that sets drover_registrar_services{state} (src/metrics.ts). */
export function registrarMetrics(gauge: { set(labels: { state: string }, value: number): void }): (s: RegistrarPassStats) => void {
  return (s) => {
    // A pass that stopped early learnt nothing new: the last values stand.
    if (s.error) return;
    gauge.set({ state: 'registered' }, s.registered);
    gauge.set({ state: 'pending' }, s.pending);
    gauge.set({ state: 'unknown' }, s.unknown);
  };
}
