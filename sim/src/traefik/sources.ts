// How Traefik's providers read the catalog, over HTTP, so the simulated Traefik sees exactly what a
// real one would see of the (simulated or real) Consul and Nomad:
// - consulCatalog (pkg/provider/consulcatalog/consul_catalog.go): `GET /v1/catalog/services`; for
//   every name whose tags (all instances' together) enable it, `GET /v1/health/service/<name>` —
//   with `?tag=<prefix>.enable=true` when exposedByDefault is off — and each entry becomes an item:
//   the service address or else the node's, the port, the instance's own tags, the aggregated status
//   of its checks;
// - nomad (pkg/provider/nomad/nomad.go): `GET /v1/services` in the provider's namespace, then
//   `GET /v1/service/<name>` with the filter `Tags contains "<prefix>.enable=true"` when
//   exposedByDefault is off. Nomad native services carry no health, every registration counts.
import { consulTagsToLabels, enableFromLabels, LabelError, nomadTagsToLabels } from './labels.js';
import type { ServiceItem } from './provider.js';

export interface ConsulSource {
  addr: string;
  token?: string;
}

export interface NomadSource {
  addr: string;
  token?: string;
  /** the provider's namespace (Traefik's `providers.nomad.namespaces`); default namespace when unset */
  namespace?: string;
}

interface ReadOptions {
  prefix: string;
  exposedByDefault: boolean;
  timeoutMs: number;
}

async function getJson<T>(url: string, headers: Record<string, string>, timeoutMs: number): Promise<T> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${new URL(url).pathname}: ${res.status} ${text.trim().slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** api.HealthChecks.AggregatedStatus: maintenance, then critical, then warning, else passing. */
export function aggregatedStatus(checks: { CheckID?: string; Status?: string }[]): string {
  let passing = false;
  let warning = false;
  let critical = false;
  let maintenance = false;
  for (const c of checks) {
    const id = c.CheckID ?? '';
    if (id === '_node_maintenance' || id.startsWith('_service_maintenance:')) {
      maintenance = true;
      continue;
    }
    if (c.Status === 'passing') passing = true;
    else if (c.Status === 'warning') warning = true;
    else if (c.Status === 'critical') critical = true;
    else return '';
  }
  if (maintenance) return 'maintenance';
  if (critical) return 'critical';
  if (warning) return 'warning';
  if (passing) return 'passing';
  return 'passing';
}

export async function readConsulItems(src: ConsulSource, o: ReadOptions): Promise<ServiceItem[]> {
  const base = src.addr.replace(/\/+$/, '');
  const headers: Record<string, string> = src.token ? { 'X-Consul-Token': src.token } : {};
  const names = await getJson<Record<string, string[] | null>>(`${base}/v1/catalog/services`, headers, o.timeoutMs);
  const items: ServiceItem[] = [];
  for (const [name, tags] of Object.entries(names)) {
    try {
      if (!enableFromLabels(consulTagsToLabels(tags ?? [], o.prefix), o.exposedByDefault, 'decode')) continue;
    } catch (e) {
      if (e instanceof LabelError) continue; // "Skip service"
      throw e;
    }
    const q = new URLSearchParams();
    if (!o.exposedByDefault) q.set('tag', `${o.prefix}.enable=true`);
    const entries = await getJson<ConsulHealthRow[] | null>(`${base}/v1/health/service/${encodeURIComponent(name)}${q.size ? `?${q}` : ''}`, headers, o.timeoutMs);
    for (const e of entries ?? []) {
      items.push({
        id: e.Service.ID, node: e.Node.Node, name, address: e.Service.Address || e.Node.Address, port: e.Service.Port,
        tags: e.Service.Tags ?? [], status: aggregatedStatus(e.Checks ?? []),
      });
    }
  }
  return items;
}

interface ConsulHealthRow {
  Node: { Node: string; Address: string };
  Service: { ID: string; Service: string; Tags: string[] | null; Address: string; Port: number };
  Checks: { CheckID?: string; Status?: string }[] | null;
}

interface NomadStubList {
  Namespace: string;
  Services: { ServiceName: string; Tags: string[] | null }[] | null;
}

interface NomadRegistration {
  ID: string;
  ServiceName: string;
  Namespace: string;
  NodeID: string;
  Address: string;
  Port: number;
  Tags: string[] | null;
}

export async function readNomadItems(src: NomadSource, o: ReadOptions): Promise<ServiceItem[]> {
  const base = src.addr.replace(/\/+$/, '');
  const headers: Record<string, string> = src.token ? { 'X-Nomad-Token': src.token } : {};
  const ns = src.namespace ? `namespace=${encodeURIComponent(src.namespace)}` : '';
  const stubs = await getJson<NomadStubList[] | null>(`${base}/v1/services${ns ? `?${ns}` : ''}`, headers, o.timeoutMs);
  const enableTag = `${o.prefix}.enable=true`;
  const items: ServiceItem[] = [];
  for (const stub of stubs ?? []) {
    for (const svc of stub.Services ?? []) {
      if (!enableFromLabels(nomadTagsToLabels(svc.Tags ?? [], o.prefix), o.exposedByDefault, 'equalFold')) continue;
      const q = new URLSearchParams(ns);
      if (!o.exposedByDefault) q.set('filter', `Tags contains ${JSON.stringify(enableTag)}`);
      const regs = await getJson<NomadRegistration[] | null>(`${base}/v1/service/${encodeURIComponent(svc.ServiceName)}${q.size ? `?${q}` : ''}`, headers, o.timeoutMs);
      for (const r of regs ?? []) {
        // the filter is applied here too, for a Nomad that ignores it on this endpoint
        if (!o.exposedByDefault && !(r.Tags ?? []).includes(enableTag)) continue;
        items.push({ id: r.ID, node: r.NodeID, name: r.ServiceName, address: r.Address, port: r.Port, tags: r.Tags ?? [] });
      }
    }
  }
  return items;
}
