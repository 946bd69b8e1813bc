// Traefik tags for an app's services (consulCatalog and nomad providers read the same tags).
// Router and service names are `<namespace>-<app>` (`-grpc` for the gRPC port) so they are unique
// across the whole Traefik instance. Tags never pin `loadbalancer.server.port`: Traefik uses that
// label INSTEAD of the registered port, and Nomad registers the host's dynamic port for bridge-mode
// containers, so pinning the container port would send traffic to a closed host port. Named HTTP
// services are declared through `server.scheme` instead; a TCP router uses Traefik's default service.
import { DroverError } from '../errors.js';
import type { ClusterDefaults } from '../../config.js';
import type { GrpcSpec, IngressSpec } from '../../spec/types.js';

export interface RouteNames {
  http: string;
  grpc: string;
}

export function routeNames(namespace: string, app: string): RouteNames {
  const base = `${namespace}-${app}`;
  return { http: base, grpc: `${base}-grpc` };
}

/** Tags of the `http` port's service: an HTTP router when the app asked for ingress. */
export function httpTags(name: string, ingress: IngressSpec | undefined, d: ClusterDefaults): string[] {
  const p = d.traefikPrefix;
  if (!ingress) return [`${p}.enable=false`];
  const router = `${p}.http.routers.${name}`;
  const tags = [`${p}.enable=true`, `${router}.rule=${hostRule(ingress.host, ingress.path)}`];
  tags.push(`${router}.entrypoints=${(ingress.entrypoints?.length ? ingress.entrypoints : d.httpEntrypoints).join(',')}`);
  // A cert resolver only works on a TLS router, so asking for one turns TLS on.
  if (ingress.tls || ingress.certResolver) tags.push(`${router}.tls=true`);
  if (ingress.certResolver) tags.push(`${router}.tls.certresolver=${plain(ingress.certResolver, 'spec.ingress.certResolver')}`);
  tags.push(`${router}.service=${name}`, `${p}.http.services.${name}.loadbalancer.server.scheme=http`);
  return tags;
}

/**
 * Tags of the `grpc` port's service. With a host: an HTTP router and an h2c service (Traefik speaks
 * HTTP/2 cleartext to the backend). Without: a TCP router ``HostSNI(`*`)``, the only rule a non-TLS
 * TCP router may have, so it owns its entrypoint.
 */
export function grpcTags(name: string, grpc: GrpcSpec, d: ClusterDefaults): string[] {
  const p = d.traefikPrefix;
  const entrypoint = grpc.entrypoint ?? d.grpcEntrypoint;
  if (grpc.host) {
    const router = `${p}.http.routers.${name}`;
    return [
      `${p}.enable=true`,
      `${router}.rule=${hostRule(grpc.host, undefined)}`,
      `${router}.entrypoints=${entrypoint}`,
      `${router}.service=${name}`,
      `${p}.http.services.${name}.loadbalancer.server.scheme=h2c`,
    ];
  }
  const router = `${p}.tcp.routers.${name}`;
  return [`${p}.enable=true`, `${router}.rule=HostSNI(\`*\`)`, `${router}.entrypoints=${entrypoint}`];
}

function hostRule(host: string, path: string | undefined): string {
  const h = `Host(\`${plain(host, 'host')}\`)`;
  if (!path || path === '/') return h;
  return `${h} && PathPrefix(\`${plain(path, 'spec.ingress.path')}\`)`;
}

/** The validator already refuses these; the renderer still never lets a backtick or comma escape a rule. */
function plain(value: string, field: string): string {
  if (/[`\s,]/.test(value)) throw new DroverError('invalid-spec', `${field}: ${JSON.stringify(value)} may not contain backticks, commas or spaces`);
  return value;
}
