// The app's one task: driver config (docker / pot / exec), environment, resources, and the Vault
// block with its env template. Keys of free-form maps (Config, Env) are emitted sorted so the JSON
// is byte-stable; empty maps and lists are left out because Nomad turns them into null.
import type { NomadTask, NomadTemplate, NomadVault } from '../nomad-types.js';
import type { ClusterDefaults } from '../cluster-defaults.js';
import type { AppSpec, VaultSpec } from '../app-spec.js';
import { sortedRecord } from './meta.js';

const DEFAULT_CPU_MHZ = 100;
const DEFAULT_MEMORY_MB = 128;

export function renderTask(app: string, spec: AppSpec, d: ClusterDefaults): NomadTask {
  const driver = spec.driver ?? 'docker';
  const task: NomadTask = { Name: app, Driver: driver, Config: driverConfig(driver, spec, d) };
  const env = renderEnv(spec, d);
  if (env) task.Env = env;
  task.Resources = { CPU: spec.resources?.cpu ?? DEFAULT_CPU_MHZ, MemoryMB: spec.resources?.memory ?? DEFAULT_MEMORY_MB };
  if (spec.vault) {
    task.Vault = renderVault(spec.vault);
    const tmpl = renderSecretsTemplate(app, spec.vault);
    if (tmpl) task.Templates = [tmpl];
  }
  return task;
}

function portLabels(spec: AppSpec): string[] {
  const labels: string[] = [];
  if (spec.port !== undefined) labels.push('http');
  if (spec.grpc) labels.push('grpc');
  return labels;
}

/** Config keys are listed in sorted order by construction. */
function driverConfig(driver: string, spec: AppSpec, d: ClusterDefaults): Record<string, unknown> {
  const cfg: Record<string, unknown> = {};
  const args = spec.args?.length ? [...spec.args] : undefined;
  if (driver === 'exec') {
    if (args) cfg.args = args;
    cfg.command = spec.command ?? '';
    return cfg;
  }
  if (driver === 'pot') {
    if (args) cfg.args = args;
    if (spec.command !== undefined) cfg.command = spec.command;
    cfg.image = spec.image ?? '';
    // pot maps ports itself: label → port inside the jail, as a string (nomad-pot-driver prepare.go).
    const portMap: Record<string, string> = {};
    if (spec.grpc) portMap.grpc = String(spec.grpc.port);
    if (spec.port !== undefined) portMap.http = String(spec.port);
    if (Object.keys(portMap).length > 0) cfg.port_map = portMap;
    cfg.pot = spec.pot?.name ?? '';
    cfg.tag = spec.pot?.tag ?? '';
    return cfg;
  }
  if (args) cfg.args = args;
  if (spec.command !== undefined) cfg.command = spec.command;
  if (spec.weave) cfg.dns_servers = [...(spec.weave.dns?.length ? spec.weave.dns : d.dnsServers)];
  else if (spec.dns?.length) cfg.dns_servers = [...spec.dns];
  else if (d.dockerDnsServers?.length) cfg.dns_servers = [...d.dockerDnsServers];
  cfg.image = spec.image ?? '';
  // Plugin mode joins the default weave network; a subnet is chosen through WEAVE_CIDR (proxy mode) instead.
  if (spec.weave && !spec.weave.subnet) cfg.network_mode = 'weave';
  const ports = portLabels(spec);
  if (ports.length > 0) cfg.ports = ports;
  return cfg;
}

/** Cluster extraEnv, then spec.env (the app wins), then WEAVE_CIDR (drover's own); sorted keys. */
function renderEnv(spec: AppSpec, d: ClusterDefaults): Record<string, string> | undefined {
  const env: Record<string, string> = { ...d.extraEnv, ...spec.env };
  if (spec.weave?.subnet) env.WEAVE_CIDR = `net:${spec.weave.subnet}`;
  return Object.keys(env).length > 0 ? sortedRecord(env) : undefined;
}

/** `Role` (workload identity, Nomad ≥ 1.7, required from 1.10) wins; `Policies` is the legacy token flow. */
function renderVault(v: VaultSpec): NomadVault {
  if (v.role) return { Role: v.role };
  if (v.policies?.length) return { Policies: [...v.policies] };
  return {};
}

/**
 * One KV v2 template line per variable; `index` reads keys with dashes. Written to secrets/ (never
 * to local/, which the task can expose) and exported as env; a rotated secret restarts the task.
 */
function renderSecretsTemplate(app: string, v: VaultSpec): NomadTemplate | undefined {
  let body = '';
  for (const secret of v.secrets ?? []) {
    for (const envName of Object.keys(secret.env).sort()) {
      body += `{{ with secret ${JSON.stringify(secret.path)} }}${envName}={{ index .Data.data ${JSON.stringify(secret.env[envName])} }}{{ end }}\n`;
    }
  }
  if (!body) return undefined;
  return { ChangeMode: 'restart', DestPath: `secrets/${app}.env`, EmbeddedTmpl: body, Envvars: true };
}
