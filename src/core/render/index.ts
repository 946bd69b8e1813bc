// Render (pure): a validated App + cluster defaults → the desired Nomad job in API JSON form.
// Deterministic: the same input gives a byte-identical JSON.stringify (fixed field order, sorted map
// keys), no I/O, no clock, and no git revision anywhere, so a commit that does not change an app's
// job causes no write. Only fields drover means are rendered; RestartPolicy and the like are left to
// Nomad's defaults so the diff against a live job does not flap, and the update block only carries what
// spec.rollout or a DROVER_ROLLOUT_* default sets (update.ts).
// Must not import: node:fs, node:http, @nestjs/*, anything under src/clients, src/controller or src/cli.
import type { ClusterDefaults } from '../cluster-defaults.js';
import type { NomadJob, NomadNetwork, NomadPort, NomadTaskGroup } from '../nomad-types.js';
import type { AppSpec, LoadedApp } from '../app-spec.js';
import { ownershipMeta, sortedRecord } from './meta.js';
import { registersItself, registrarServices, renderServices, WEAVE_SERVICES_META } from './services.js';
import { renderTask } from './task.js';
import { renderUpdate } from './update.js';

export { LEGACY_META_KEYS, OWNERSHIP_META, specHash, withLegacyMeta } from './meta.js';
export { portPlans, portRoutings, type PortPlan, type PortRouting, type RouterPlan } from './traefik.js';
export { consulServiceNames } from './services.js';
export { formatJobs } from './output.js';
export { NOMAD_UPDATE_DEFAULTS, renderUpdate, type NomadUpdateStrategy } from './update.js';
export { parseRegistrarServices, WEAVE_SERVICES_META, type RegistrarCheck, type RegistrarService } from './services.js';

export function renderJob(app: LoadedApp, defaults: ClusterDefaults): NomadJob {
  const spec = app.manifest.spec;
  const meta = ownershipMeta(app.manifest.metadata.labels, defaults.owner);
  const job: NomadJob = {
    ID: app.name,
    Name: app.name,
    Namespace: app.namespace,
    Type: 'service',
    Datacenters: [...(spec.datacenters?.length ? spec.datacenters : defaults.datacenters)],
    Meta: sortedRecord(meta),
    TaskGroups: [renderGroup(app, spec, defaults)],
  };
  return job;
}

function renderGroup(app: LoadedApp, spec: AppSpec, d: ClusterDefaults): NomadTaskGroup {
  const task = renderTask(app.name, spec, d);
  const services = renderServices(app.namespace, app.name, spec, d);
  // Weave proxy mode: Nomad would advertise the docker bridge address, so drover's node registrar
  // registers these services itself from the task Meta (src/registrar/).
  if (services.length > 0 && registersItself(spec, d)) {
    task.Meta = { ...task.Meta, [WEAVE_SERVICES_META]: JSON.stringify(registrarServices(services, spec)) };
  } else if (services.length > 0) task.Services = services;
  // Tasks is set last so the group's own fields come first in the JSON.
  const group = { Name: app.name, Count: spec.count ?? spec.scaling?.min ?? 1 } as NomadTaskGroup;
  const update = renderUpdate(spec, d);
  if (update) group.Update = update;
  const network = renderNetwork(spec);
  if (network) group.Networks = [network];
  // The autoscaler owns Count within these bounds; the diff ignores Count for such apps.
  if (spec.scaling) group.Scaling = { Enabled: true, Max: spec.scaling.max, Min: spec.scaling.min };
  group.Tasks = [task];
  return group;
}

/**
 * Dynamic ports `http` and `grpc`. `To` (the port inside the container) only for docker: pot maps
 * ports through its own `port_map`, and an exec task listens on the host port ($NOMAD_PORT_<label>),
 * where a `To` would make NOMAD_PORT_<label> lie about the port Nomad registers.
 */
function renderNetwork(spec: AppSpec): NomadNetwork | undefined {
  const docker = (spec.driver ?? 'docker') === 'docker';
  const ports: NomadPort[] = [];
  if (spec.port !== undefined) ports.push(docker ? { Label: 'http', To: spec.port } : { Label: 'http' });
  if (spec.grpc) ports.push(docker ? { Label: 'grpc', To: spec.grpc.port } : { Label: 'grpc' });
  return ports.length > 0 ? { DynamicPorts: ports } : undefined;
}
