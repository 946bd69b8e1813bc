# Consul ACL policy for drover instances that run the node registrar (DROVER_REGISTRAR=on), in
# addition to consul-drover.policy.hcl. The registrar registers and deregisters weave proxy-mode
# services in the local agent: `PUT /v1/agent/service/register` and `/deregister` need
# service:write on the service's name ("Permission denied: Missing service:write on <name>").
# Service names come from the apps in git, hence every name. Where all such apps share a name
# prefix (e.g. one per tenant), narrow it: service_prefix "tenant-a-" { policy = "write" }.
service_prefix "" {
  policy = "write"
}
