# Consul ACL policy for every drover instance (Consul 1.8+ rule syntax). Least privilege for what
# the controller does; test/contract/consul-acl.test.ts applies this file to a real Consul with
# ACLs on and default deny, and checks each rule is needed and enough.

# Verification reads the catalog and health of each app's services (any name: apps are named in git).
service_prefix "" {
  policy = "read"
}

# Consul filters catalog and health entries by the node too: with service:read alone the reads
# succeed and return nothing, and every app would look like it had no instances.
node_prefix "" {
  policy = "read"
}

# Leader election (DROVER_LEADER_ELECTION=consul): a session on the node drover runs on (any node,
# drover runs as a system job) ...
session_prefix "" {
  policy = "write"
}

# ... holding exactly the leader key. Change it together with DROVER_LEADER_KEY.
key "drover/leader" {
  policy = "write"
}
