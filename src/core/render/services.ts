// Task services: one per exposed port (`http`, `grpc`), each carrying its Traefik tags and, on the
// port spec.health points at, the health check. Durations are integer nanoseconds (Nomad's API form).
import { parseDurationNs } from '../duration.js';
import { DroverError } from '../errors.js';
import type { NomadCheck, NomadService } from '../nomad-types.js';
import type { ClusterDefaults } from '../cluster-defaults.js';
import type { AppSpec, HealthSpec } from '../app-spec.js';
import { portRoutings, portTags, type PortLabel } from './traefik.js';

const DEFAULT_INTERVAL_NS = 10e9;
const DEFAULT_TIMEOUT_NS = 2e9;

export function renderServices(namespace: string, app: string, spec: AppSpec, d: ClusterDefaults): NomadService[] {
  const provider = spec.service?.provider ?? d.serviceProvider;
  const userTags = spec.service?.tags ?? [];
  const routings = portRoutings(namespace, app, spec, d);
  const check = renderCheck(spec);
  const services: NomadService[] = [];
  for (const s of consulServiceNames(app, spec)) {
    services.push(service(s.name, s.port, provider, [...userTags, ...portTags(routings, s.port, d)], check));
  }
  return services;
}

/**
 * The service names of an app's ports: `spec.service.name` (default the app name) for `http`, and that
 * name + `-grpc` for `grpc`. src/spec/cross.ts refuses two apps whose names meet in one catalog.
 */
export function consulServiceNames(app: string, spec: AppSpec): { name: string; port: PortLabel }[] {
  const name = spec.service?.name ?? app;
  const out: { name: string; port: PortLabel }[] = [];
  if (spec.port !== undefined) out.push({ name, port: 'http' });
  if (spec.grpc) out.push({ name: `${name}-grpc`, port: 'grpc' });
  return out;
}

function service(name: string, port: string, provider: string, tags: string[], check: NomadCheck | undefined): NomadService {
  const svc: NomadService = { Name: name, PortLabel: port, Provider: provider, Tags: tags };
  if (check && check.PortLabel === port) svc.Checks = [check];
  return svc;
}

/** The one check of the app: spec.health, or tcp on the main port (http if set, else grpc). */
function renderCheck(spec: AppSpec): NomadCheck | undefined {
  const health: HealthSpec = spec.health ?? {};
  const type = health.type ?? 'tcp';
  if (type === 'none') return undefined;
  const main = spec.port !== undefined ? 'http' : spec.grpc ? 'grpc' : undefined;
  const port = type === 'grpc' ? (spec.grpc ? 'grpc' : undefined) : type === 'http' && spec.port !== undefined ? 'http' : main;
  if (!port) return undefined;
  const timing = {
    Interval: duration(health.interval, DEFAULT_INTERVAL_NS, 'spec.health.interval'),
    Timeout: duration(health.timeout, DEFAULT_TIMEOUT_NS, 'spec.health.timeout'),
  };
  if (type === 'http') return { Type: 'http', Path: health.path ?? '/', PortLabel: port, ...timing };
  return { Type: type, PortLabel: port, ...timing };
}

/** Nomad refuses check intervals and timeouts under one second; the validator says so first. */
function duration(text: string | undefined, fallback: number, field: string): number {
  if (text === undefined) return fallback;
  const ns = parseDurationNs(text);
  if (ns === undefined || ns < 1e9) throw new DroverError('invalid-spec', `${field}: ${JSON.stringify(text)} must be a duration of at least 1s`);
  return ns;
}

/**
 * Task Meta key carrying the services of a weave proxy-mode app (env `WEAVE_CIDR=net:<subnet>`).
 * Nomad would advertise the docker bridge address for them, so the job does not let Nomad register
 * them; drover's node registrar reads this value from the allocation's job and registers each one
 * in the local Consul agent with the container's weave address. The value is compact JSON of
 * RegistrarService[], in render order (http, then grpc), so the job stays byte-stable.
 */
export const WEAVE_SERVICES_META = 'drover.services';

export interface RegistrarCheck {
  type: 'http' | 'tcp' | 'grpc';
  /** http only */
  path?: string;
  /** Consul duration strings, e.g. "10s" */
  interval: string;
  timeout: string;
}

export interface RegistrarService {
  name: string;
  /** the port inside the container: the weave address reaches the container directly */
  port: number;
  portLabel: string;
  tags: string[];
  check?: RegistrarCheck;
}

/** True when drover, not Nomad, must register the app's services (weave proxy mode, Consul provider). */
export function registersItself(spec: AppSpec, d: ClusterDefaults): boolean {
  const provider = spec.service?.provider ?? d.serviceProvider;
  return (spec.driver ?? 'docker') === 'docker' && !!spec.weave?.subnet && provider === 'consul';
}

/** The rendered services, rewritten for the registrar: container ports and Consul-form durations. */
export function registrarServices(services: NomadService[], spec: AppSpec): RegistrarService[] {
  const containerPort: Record<string, number | undefined> = { http: spec.port, grpc: spec.grpc?.port };
  return services.map((s) => {
    const out: RegistrarService = { name: s.Name ?? '', port: containerPort[s.PortLabel ?? ''] ?? 0, portLabel: s.PortLabel ?? '', tags: [...(s.Tags ?? [])] };
    const c = s.Checks?.[0];
    if (c) {
      const check: RegistrarCheck = { type: c.Type as RegistrarCheck['type'], interval: consulDuration(c.Interval ?? DEFAULT_INTERVAL_NS), timeout: consulDuration(c.Timeout ?? DEFAULT_TIMEOUT_NS) };
      if (c.Type === 'http') check.path = c.Path ?? '/';
      out.check = check;
    }
    return out;
  });
}

/** Nanoseconds → a Go/Consul duration string; whole seconds stay "10s", the rest go to milliseconds. */
function consulDuration(ns: number): string {
  return ns % 1e9 === 0 ? `${ns / 1e9}s` : `${Math.round(ns / 1e6)}ms`;
}

/**
 * Reads a task's `drover.services` value back. Undefined when the key is absent; a DroverError
 * (bad-response) naming the entry when the value is not what renderJob writes.
 */
export function parseRegistrarServices(meta: Record<string, string> | null | undefined): RegistrarService[] | undefined {
  const text = meta?.[WEAVE_SERVICES_META];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DroverError('bad-response', `task Meta ${WEAVE_SERVICES_META} is not JSON`);
  }
  if (!Array.isArray(value)) throw new DroverError('bad-response', `task Meta ${WEAVE_SERVICES_META} is not a list`);
  return value.map((v, i) => checkEntry(v, i));
}

function checkEntry(v: unknown, i: number): RegistrarService {
  const bad = (why: string) => new DroverError('bad-response', `task Meta ${WEAVE_SERVICES_META}[${i}]: ${why}`);
  if (!v || typeof v !== 'object') throw bad('is not an object');
  const e = v as Record<string, unknown>;
  if (typeof e.name !== 'string' || e.name === '') throw bad('name must be a non-empty string');
  if (typeof e.port !== 'number' || !Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw bad('port must be 1..65535');
  if (typeof e.portLabel !== 'string') throw bad('portLabel must be a string');
  if (!Array.isArray(e.tags) || e.tags.some((t) => typeof t !== 'string')) throw bad('tags must be a list of strings');
  const out: RegistrarService = { name: e.name, port: e.port, portLabel: e.portLabel, tags: e.tags as string[] };
  if (e.check !== undefined) {
    const c = e.check as Record<string, unknown>;
    if (!c || typeof c !== 'object' || !['http', 'tcp', 'grpc'].includes(c.type as string)) throw bad('check.type must be http, tcp or grpc');
    if (typeof c.interval !== 'string' || typeof c.timeout !== 'string') throw bad('check.interval and check.timeout must be duration strings');
    out.check = { type: c.type as RegistrarCheck['type'], interval: c.interval, timeout: c.timeout };
    if (typeof c.path === 'string') out.check.path = c.path;
  }
  return out;
}
