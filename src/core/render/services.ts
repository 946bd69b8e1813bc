// Task services: one per exposed port (`http`, `grpc`), each carrying its Traefik tags and, on the
// port spec.health points at, the health check. Durations are integer nanoseconds (Nomad's API form).
import { parseDurationNs } from '../duration.js';
import { DroverError } from '../errors.js';
import type { NomadCheck, NomadService } from '../nomad-types.js';
import type { ClusterDefaults } from '../../config.js';
import type { AppSpec, HealthSpec } from '../../spec/types.js';
import { grpcTags, httpTags, routeNames } from './traefik.js';

const DEFAULT_INTERVAL_NS = 10e9;
const DEFAULT_TIMEOUT_NS = 2e9;

export function renderServices(namespace: string, app: string, spec: AppSpec, d: ClusterDefaults): NomadService[] {
  const provider = spec.service?.provider ?? d.serviceProvider;
  const name = spec.service?.name ?? app;
  const userTags = spec.service?.tags ?? [];
  const routes = routeNames(namespace, app);
  const check = renderCheck(spec);
  const services: NomadService[] = [];
  if (spec.port !== undefined) {
    services.push(service(name, 'http', provider, [...userTags, ...httpTags(routes.http, spec.ingress, d)], check));
  }
  if (spec.grpc) {
    services.push(service(`${name}-grpc`, 'grpc', provider, [...userTags, ...grpcTags(routes.grpc, spec.grpc, d)], check));
  }
  return services;
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
