# Consul ACL policy for drover: read the services it verifies, register the weave services of its
# own node, and hold the leader lock.
service_prefix "" {
  policy = "read"
}

node_prefix "" {
  policy = "read"
}

agent_prefix "" {
  policy = "read"
}

key_prefix "drover/" {
  policy = "write"
}

session_prefix "" {
  policy = "write"
}
