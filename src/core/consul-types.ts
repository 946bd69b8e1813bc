// The Consul API shapes core reads (verify.ts compares them with the rendered job); src/clients/consul.ts returns
// them. Here rather than in clients/types.ts because core imports no client module.

/** One entry of `GET /v1/health/service/:name`. */
export interface ConsulHealthEntry {
  Node: { Node: string; Address: string; [k: string]: unknown };
  Service: { ID: string; Service: string; Tags: string[] | null; Address: string; Port: number; Meta: Record<string, string> | null; [k: string]: unknown };
  Checks: { CheckID: string; Name: string; Status: string; ServiceID: string; [k: string]: unknown }[];
}
