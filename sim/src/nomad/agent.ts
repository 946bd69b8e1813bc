// Agent and status endpoints of the simulated Nomad: /v1/agent/self (the version a client checks before
// it relies on a feature — configurable, so a 1.x agent can be simulated), /v1/agent/health,
// /v1/status/leader and /v1/status/peers (one server on loopback), shaped like a 2.0.5 dev agent's.
import type { SimReply } from '../http.js';
import type { RouteContext } from './api-common.js';

const RPC_ADDR = '127.0.0.1:4647';

export function agentSelf(ctx: RouteContext): SimReply {
  const [version, prerelease = ''] = ctx.nomadVersion.split('-', 2) as [string, string?];
  return {
    json: {
      config: {
        Datacenter: ctx.datacenter, Region: ctx.region, NodeName: 'sim-node-1', DevMode: true,
        ACL: { Enabled: !!ctx.aclTokens }, Vaults: ctx.vaultEnabled ? [{ Name: 'default', Enabled: true }] : [],
        Version: { BuildDate: null, Revision: '', Version: version, VersionMetadata: '', VersionPrerelease: prerelease },
      },
      member: {
        Addr: '127.0.0.1', Name: `sim-node-1.${ctx.region}`, Port: 4648, Status: 'alive',
        Tags: { region: ctx.region, dc: ctx.datacenter, port: '4647', role: 'nomad', build: ctx.nomadVersion, rpc_addr: '127.0.0.1', bootstrap: '1' },
      },
      stats: { nomad: { leader: 'true', server: 'true' }, raft: {}, serf: {}, runtime: {}, client: {} },
    },
  };
}

export function statusPeers(): SimReply {
  return { json: [RPC_ADDR] };
}

export function statusLeader(): SimReply {
  return { json: RPC_ADDR };
}
