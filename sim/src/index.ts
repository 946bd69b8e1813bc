// @drover/sim: protocol-faithful simulators of Nomad, Consul, Vault, Traefik's API, one node's Docker Engine
// API and the weave router, speaking their real HTTP APIs on loopback, and the cluster that composes them.
// A development package of drover (tests, `npm run demo`, `drover sim`, the benchmark); never in the image.
// It imports nothing from drover's src/: what it knows of the servers comes from shared/reference/.
// Each simulator also has its own entry point: @drover/sim/nomad, /consul, /vault, /traefik, /docker,
// /weave, and /http for the SimServer they all run on.
export { startSimCluster, EXAMPLE_SECRETS, type SimCluster, type SimClusterOptions } from './cluster.js';
export { SimServer, parseJsonBody, type Faults, type LoggedRequest, type SimHandler, type SimReply, type SimRequest, type SimServerOptions } from './http.js';
export type { ServiceSink, SimServiceCheck, SimServiceInstance } from './service-sink.js';
export { createNomadSim, DEFAULT_DRIVERS, type NomadSim, type NomadSimOptions } from './nomad/index.js';
export { createConsulSim, type ConsulSim, type ConsulSimOptions } from './consul/index.js';
export { createVaultSim, type VaultSim, type VaultSimOptions } from './vault/index.js';
export { createTraefikSim, DEFAULT_ENTRYPOINTS, type TraefikSim, type TraefikSimOptions } from './traefik/index.js';
export { createDockerSim, type DockerSim, type SimContainer, type SimContainerInput } from './docker/index.js';
export { createWeaveSim, type WeaveSim, type WeaveSimOptions } from './weave/index.js';
