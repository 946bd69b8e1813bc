// The controller's view of Nomad and Consul with its stop signal attached to every read, so stop()
// abandons the reads in flight at once. Writes get no signal: a write in flight is waited for (bounded)
// rather than cut off, because one cut off on our side may still land on the server.
import { setMaxListeners } from 'node:events';
import type { ConsulApi, NomadApi, QueryOpts } from '../clients/types.js';

/** An AbortController whose signal may be shared by any number of calls in flight (one listener each). */
export function sharedAbortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

function withSignal<T extends { signal?: AbortSignal }>(o: T | undefined, signal: AbortSignal): T {
  const own = o?.signal;
  return { ...(o ?? ({} as T)), signal: own ? AbortSignal.any([own, signal]) : signal };
}

export function abortableNomad(nomad: NomadApi, signal: AbortSignal): NomadApi {
  return {
    listJobs: (o) => nomad.listJobs(withSignal(o, signal)),
    readJob: (id, o) => nomad.readJob(id, withSignal(o, signal)),
    registerJob: (job, o) => nomad.registerJob(job, o),
    stopJob: (id, o) => nomad.stopJob(id, o),
    planJob: (job, o) => nomad.planJob(job, o),
    validateJob: (job, o) => nomad.validateJob(job, o),
    jobAllocations: (id, o) => nomad.jobAllocations(id, withSignal(o, signal)),
    jobDeployment: (id, o) => nomad.jobDeployment(id, withSignal(o, signal)),
    listServiceRegistrations: (name, o) => nomad.listServiceRegistrations(name, withSignal(o, signal)),
    eventStream: (o) => nomad.eventStream(o),
    ping: (o) => nomad.ping(withSignal(o, signal)),
    agentVersion: (o) => nomad.agentVersion(withSignal(o, signal)),
    listNamespaces: (o) => nomad.listNamespaces(withSignal(o, signal)),
    jobEvaluations: (id, o) => nomad.jobEvaluations(id, withSignal(o, signal)),
    promoteDeployment: (id, o) => nomad.promoteDeployment(id, o),
    listVariables: (o) => nomad.listVariables(withSignal(o, signal)),
    readVariable: (path, o) => nomad.readVariable(path, withSignal(o, signal)),
    writeVariable: (v, o) => nomad.writeVariable(v, o),
    deleteVariable: (path, o) => nomad.deleteVariable(path, o),
  };
}

export function abortableConsul(consul: ConsulApi, signal: AbortSignal): ConsulApi {
  return {
    registerService: (svc, o) => consul.registerService(svc, o),
    deregisterService: (id) => consul.deregisterService(id),
    agentServices: (o) => consul.agentServices(o),
    catalogService: (name, o?: QueryOpts) => consul.catalogService(name, withSignal(o, signal)),
    healthService: (name, o) => consul.healthService(name, withSignal(o, signal)),
    kvGet: (key, o) => consul.kvGet(key, withSignal(o, signal)),
    kvPut: (key, value, o) => consul.kvPut(key, value, o),
    sessionCreate: (o) => consul.sessionCreate(o),
    sessionRenew: (id) => consul.sessionRenew(id),
    sessionDestroy: (id) => consul.sessionDestroy(id),
    ping: (o) => consul.ping(withSignal(o, signal)),
  };
}
