// Semantic rules for one App that passed the schema: relations between fields and checks a JSON Schema
// cannot express (label keys, env names, CIDR arithmetic, durations, driver allow-list). Pure: the loader
// turns the returned field paths into file:line:col.
import type { ClusterDefaults } from '../core/cluster-defaults.js';
import { parseDurationNs } from '../core/duration.js';
import type { AppManifest, AppSpec } from './types.js';
import type { FieldProblem } from './messages.js';
import { show } from './messages.js';
import { cidrContains, isIpAddress, parseIpv4Cidr } from './net.js';
import { isTls, portPlans, type RouterPlan } from '../core/render/traefik.js';
import { httpRouterKey, showField } from './cross.js';
import { checkRollout } from './rollout.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECOND_NS = 1e9;
export const DEFAULT_HEALTH_INTERVAL = '10s';
export const DEFAULT_HEALTH_TIMEOUT = '2s';

type Out = FieldProblem[];

export function checkApp(m: AppManifest, d: ClusterDefaults): FieldProblem[] {
  const out: Out = [];
  checkLabels(m, out);
  const spec = m.spec ?? {};
  checkDriver(spec, d, out);
  checkPorts(spec, out);
  checkEnv(spec, out);
  checkVault(spec, out);
  checkWeave(spec, d, out);
  checkHealth(spec, d, out);
  checkScaling(spec, out);
  out.push(...checkRollout(spec, d));
  checkTags(spec, d, out);
  checkRouting(spec, d, out);
  return out;
}

export function isLabelKey(k: string): boolean {
  const slash = k.lastIndexOf('/');
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return false;
  return prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
}

function checkLabels(m: AppManifest, out: Out): void {
  for (const k of Object.keys(m.metadata.labels ?? {})) {
    if (!isLabelKey(k)) {
      out.push({
        segs: ['metadata', 'labels', k],
        anchor: 'key',
        message: `${show(k)} is not a valid label key (optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`,
      });
    }
  }
}

function checkDriver(s: AppSpec, d: ClusterDefaults, out: Out): void {
  const driver = s.driver ?? 'docker';
  if (!d.allowedDrivers.includes(driver)) {
    out.push({ segs: ['spec', 'driver'], message: `driver ${show(driver)} is not allowed on this cluster (allowed: ${d.allowedDrivers.join(', ')})` });
  }
  if ((driver === 'docker' || driver === 'pot') && s.image === undefined) {
    out.push({ segs: ['spec', 'image'], message: `is required for the ${driver} driver` });
  }
  if (driver === 'pot' && s.pot === undefined) out.push({ segs: ['spec', 'pot'], message: 'is required for the pot driver' });
  if (driver !== 'pot' && s.pot !== undefined) out.push({ segs: ['spec', 'pot'], message: `is only used by the pot driver, not ${driver}` });
  if (driver === 'exec' && s.command === undefined) out.push({ segs: ['spec', 'command'], message: 'is required for the exec driver' });
  if (driver === 'pot' && s.args !== undefined && s.command === undefined) {
    out.push({ segs: ['spec', 'args'], message: 'needs spec.command with the pot driver' });
  }
  if (s.dns !== undefined && driver !== 'docker') {
    out.push({ segs: ['spec', 'dns'], message: `is a docker option, not available with the ${driver} driver` });
  }
  if (s.dns !== undefined && s.weave !== undefined) {
    out.push({ segs: ['spec', 'dns'], message: 'cannot be combined with spec.weave: give weave apps their DNS servers in spec.weave.dns' });
  }
  (s.dns ?? []).forEach((ip, i) => {
    if (!isIpAddress(ip)) out.push({ segs: ['spec', 'dns', i], message: `${show(ip)} is not an IPv4 or IPv6 address` });
  });
  if (s.weave !== undefined && driver !== 'docker') {
    out.push({ segs: ['spec', 'weave'], message: `weave networking needs the docker driver, not ${driver}` });
  }
}

function checkPorts(s: AppSpec, out: Out): void {
  if (s.grpc && s.port !== undefined && s.grpc.port === s.port) {
    out.push({ segs: ['spec', 'grpc', 'port'], message: `must differ from spec.port (both are ${s.port})` });
  }
  if (s.ingress && s.port === undefined) {
    out.push({ segs: ['spec', 'ingress'], message: 'needs spec.port: the router sends traffic to the http port' });
  }
}

function checkEnv(s: AppSpec, out: Out): void {
  const badName = (k: string) => `${show(k)} is not a valid environment variable name (letters, digits and '_', not starting with a digit)`;
  for (const k of Object.keys(s.env ?? {})) {
    if (!ENV_NAME.test(k)) out.push({ segs: ['spec', 'env', k], anchor: 'key', message: badName(k) });
  }
  const seen = new Map<string, string>();
  (s.vault?.secrets ?? []).forEach((sec, i) => {
    for (const k of Object.keys(sec.env ?? {})) {
      const segs = ['spec', 'vault', 'secrets', i, 'env', k];
      if (!ENV_NAME.test(k)) out.push({ segs, anchor: 'key', message: badName(k) });
      else if (s.env && Object.hasOwn(s.env, k)) out.push({ segs, anchor: 'key', message: `${k} is also set in spec.env; a variable may come from one place only` });
      else if (seen.has(k)) out.push({ segs, anchor: 'key', message: `${k} is also set by ${seen.get(k)}` });
      else seen.set(k, `spec.vault.secrets[${i}]`);
    }
  });
}

function checkVault(s: AppSpec, out: Out): void {
  const v = s.vault;
  if (!v) return;
  if (v.role !== undefined && v.policies !== undefined) {
    out.push({ segs: ['spec', 'vault', 'policies'], message: 'cannot be combined with spec.vault.role: use role (workload identity) or policies (legacy), not both' });
  }
  if ((v.secrets?.length ?? 0) > 0 && v.role === undefined && v.policies === undefined) {
    out.push({ segs: ['spec', 'vault', 'secrets'], message: 'need spec.vault.role or spec.vault.policies to be read' });
  }
}

function checkWeave(s: AppSpec, d: ClusterDefaults, out: Out): void {
  const w = s.weave;
  if (!w) return;
  (w.dns ?? []).forEach((ip, i) => {
    if (!isIpAddress(ip)) out.push({ segs: ['spec', 'weave', 'dns', i], message: `${show(ip)} is not an IPv4 or IPv6 address` });
  });
  if (w.subnet === undefined) return;
  // Proxy mode: Nomad would advertise the docker bridge address (seed 003's open problem). Only a Consul
  // registration made by drover's node registrar carries the weave address; Nomad's own catalog cannot.
  if ((s.port !== undefined || s.grpc !== undefined) && (s.service?.provider ?? d.serviceProvider) === 'nomad') {
    if (s.service?.provider === 'nomad') {
      out.push({ segs: ['spec', 'service', 'provider'], message: 'nomad cannot be used with spec.weave.subnet: Nomad would advertise the docker bridge address, not the weave address, and only a Consul registration (drover\'s node registrar) can carry the right one; use consul' });
    } else {
      out.push({ segs: ['spec', 'weave', 'subnet'], message: 'needs the consul service provider, but the cluster default (DROVER_SERVICE_PROVIDER) is nomad: Nomad would advertise the docker bridge address, not the weave address; set spec.service.provider: consul' });
    }
  }
  const segs = ['spec', 'weave', 'subnet'];
  const c = parseIpv4Cidr(w.subnet);
  if (!c) return void out.push({ segs, message: `${show(w.subnet)} is not an IPv4 CIDR (e.g. 10.32.1.0/24)` });
  if (c.hostBits) return void out.push({ segs, message: `${show(w.subnet)} has host bits set; the network address is ${c.text}` });
  if (c.prefix > 30) return void out.push({ segs, message: `${show(w.subnet)} is too small: the prefix must be /30 or shorter` });
  const range = parseIpv4Cidr(d.weaveRange);
  if (!range) return void out.push({ segs, message: `the cluster's weave range ${show(d.weaveRange)} (DROVER_WEAVE_RANGE) is not an IPv4 CIDR` });
  if (!cidrContains(range, c)) out.push({ segs, message: `${show(w.subnet)} is outside the weave range ${range.text}` });
}

function checkHealth(s: AppSpec, d: ClusterDefaults, out: Out): void {
  const h = s.health;
  if (!h) return;
  const type = h.type ?? 'tcp';
  const provider = s.service?.provider ?? d.serviceProvider;
  if (type === 'http') {
    if (h.path === undefined) out.push({ segs: ['spec', 'health', 'path'], message: 'is required for an http check' });
    if (s.port === undefined) out.push({ segs: ['spec', 'health', 'type'], message: 'an http check needs spec.port' });
  } else if (h.path !== undefined) {
    out.push({ segs: ['spec', 'health', 'path'], message: `is only used by http checks, not ${type}` });
  }
  if (type === 'grpc' && s.grpc === undefined) out.push({ segs: ['spec', 'health', 'type'], message: 'a grpc check needs spec.grpc' });
  if (type === 'grpc' && provider === 'nomad') {
    out.push({ segs: ['spec', 'health', 'type'], message: "a grpc check needs the consul service provider (Nomad's own checks are http or tcp)" });
  }
  if (type === 'tcp' && s.port === undefined && s.grpc === undefined) {
    out.push({ segs: ['spec', 'health', 'type'], message: 'a tcp check needs spec.port or spec.grpc.port' });
  }
  if (type === 'none') return;
  const interval = parseDurationNs(h.interval ?? DEFAULT_HEALTH_INTERVAL);
  const timeout = parseDurationNs(h.timeout ?? DEFAULT_HEALTH_TIMEOUT);
  if (interval !== undefined && interval < SECOND_NS) {
    out.push({ segs: ['spec', 'health', 'interval'], message: `${h.interval} is shorter than the minimum 1s` });
  }
  if (timeout !== undefined && timeout < SECOND_NS) {
    out.push({ segs: ['spec', 'health', 'timeout'], message: `${h.timeout} is shorter than the minimum 1s` });
  } else if (timeout !== undefined && interval !== undefined && timeout >= interval) {
    const iv = h.interval ?? `${DEFAULT_HEALTH_INTERVAL} (default)`;
    out.push({ segs: ['spec', 'health', 'timeout'], message: `${h.timeout ?? DEFAULT_HEALTH_TIMEOUT} must be shorter than the interval ${iv}` });
  }
}

/**
 * Traefik reads every tag that starts with its prefix (pkg/provider/consulcatalog/convert_types.go and
 * pkg/provider/nomad/tag.go: strings.HasPrefix(tag, prefix)), so a user tag could add a router for another
 * app's host with any priority, past every cross-app rule. drover writes all Traefik tags itself.
 */
function checkTags(s: AppSpec, d: ClusterDefaults, out: Out): void {
  const prefix = d.traefikPrefix.toLowerCase();
  (s.service?.tags ?? []).forEach((tag, i) => {
    if (tag.trimStart().toLowerCase().startsWith(prefix)) {
      out.push({ segs: ['spec', 'service', 'tags', i], message: `${show(tag)} starts with the Traefik tag prefix ${show(d.traefikPrefix)} (DROVER_TRAEFIK_PREFIX): drover writes every Traefik tag itself; route through spec.ingress or spec.grpc` });
    }
  });
}

/** Routers of one app that would shadow each other, and TLS options that need something else. */
function checkRouting(s: AppSpec, d: ClusterDefaults, out: Out): void {
  let broken = false;
  if (s.grpc && isTls(s.grpc) && !s.grpc.host) {
    const field = s.grpc.certResolver !== undefined ? 'certResolver' : 'tls';
    out.push({ segs: ['spec', 'grpc', field], message: 'needs spec.grpc.host: a TLS router is chosen by the host name the client asks for, and a gRPC port without a host gets a plain TCP router HostSNI(*)' });
    broken = true;
  }
  if (s.ingress?.httpsRedirect && !isTls(s.ingress)) {
    out.push({ segs: ['spec', 'ingress', 'httpsRedirect'], message: 'needs spec.ingress.tls or spec.ingress.certResolver: it redirects plain HTTP to the HTTPS router' });
    broken = true;
  }
  // The schema's path pattern lets these through; the renderer refuses them (a comma or control character
  // never reaches a Traefik rule), so say so here rather than at the first reconcile.
  const path = s.ingress?.path;
  if (path !== undefined && /[,\u0000-\u001f\u007f]/.test(path)) {
    out.push({ segs: ['spec', 'ingress', 'path'], message: `${show(path)} may not contain commas or control characters` });
    broken = true;
  }
  if (broken) return;
  let routers: RouterPlan[];
  try {
    routers = portPlans(s, d).flatMap((p) => p.routers);
  } catch (e) {
    // the renderer's own last line of defence; a spec that reaches it is reported, never thrown
    return void out.push({ segs: ['spec'], message: e instanceof Error ? e.message : String(e) });
  }
  const seen = new Map<string, RouterPlan>();
  for (const r of routers) {
    if (r.kind === 'tcp') {
      for (const ep of r.entrypoints) {
        const http = routers.find((o) => o.kind === 'http' && o.entrypoints.includes(ep));
        if (http) {
          out.push({ segs: r.field, message: `the TCP router HostSNI(*) on entrypoint ${ep} takes every plain connection there (Traefik tries TCP routers first), so this app's ${showField(http)} router on ${ep} would never be reached; give the gRPC port an entrypoint of its own or set grpc.host` });
        }
      }
      continue;
    }
    for (const ep of r.entrypoints) {
      const key = `${ep}\u0000${httpRouterKey(r)}`;
      const first = seen.get(key);
      if (first) out.push({ segs: r.field, message: `host ${r.host} path ${r.paths!.path} on entrypoint ${ep} is also routed by this app's ${showField(first)}` });
      else seen.set(key, r);
    }
  }
}

function checkScaling(s: AppSpec, out: Out): void {
  const sc = s.scaling;
  if (!sc) return;
  if (sc.min > sc.max) out.push({ segs: ['spec', 'scaling', 'max'], message: `${sc.max} is less than spec.scaling.min (${sc.min})` });
  else if (s.count !== undefined && (s.count < sc.min || s.count > sc.max)) {
    out.push({ segs: ['spec', 'count'], message: `${s.count} is outside spec.scaling [${sc.min}, ${sc.max}]` });
  }
}
