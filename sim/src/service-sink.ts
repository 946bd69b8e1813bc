// How the simulated Nomad hands Consul-provider service instances to the simulated Consul (the
// way a Nomad client agent registers them with its local Consul agent). Provider "nomad" services
// stay inside the Nomad simulator.

export interface SimServiceCheck {
  type: 'http' | 'tcp' | 'grpc';
  /** Consul duration strings, e.g. "10s" */
  interval: string;
  timeout: string;
  /** full URL for http checks */
  http?: string;
  /** host:port for tcp checks */
  tcp?: string;
  /** host:port[/service] for grpc checks */
  grpc?: string;
  name?: string;
}

export interface SimServiceInstance {
  /** `_nomad-task-<allocID>-<task>-<service>-<portLabel>` */
  id: string;
  name: string;
  tags: string[];
  address: string;
  port: number;
  meta: Record<string, string>;
  checks: SimServiceCheck[];
  /** the simulated node the allocation runs on */
  node: string;
  nodeAddress: string;
}

export interface ServiceSink {
  register(s: SimServiceInstance): void;
  deregister(id: string): void;
}
