# Nomad ACL policy for drover: read and write jobs, read the event stream, and keep its per-app
# applied state in Nomad Variables under drover/ — nothing else.
# Add one namespace block like "default" per namespace drover manages (apps' metadata.namespace).
namespace "default" {
  capabilities = ["list-jobs", "read-job", "submit-job", "read-job-scaling"]

  # drover's applied-state store: one variable per app under drover/ (outside the job, so this
  # bookkeeping never changes the job's update class). Nomad's variable capabilities
  # (acl/policy.go): read, write, list, destroy.
  variables {
    path "drover/*" {
      capabilities = ["read", "write", "list", "destroy"]
    }
  }
}

# list-jobs/read-job in every namespace: the resync lists all jobs (namespace=*), the event stream is
# opened for every namespace (GET /v1/namespaces lists those a token can see; its topics Job,
# Allocation, Deployment, Evaluation and Service each need read-job), and prune/conflict rules need to
# see jobs drover does not own.
namespace "*" {
  capabilities = ["list-jobs", "read-job"]
}

node {
  policy = "read"
}

# GET /v1/agent/self: the Nomad version, so drover refuses what that version cannot hold (e.g. Vault
# policies on Nomad >= 1.10) before writing. Without it the version checks are off (logged once).
agent {
  policy = "read"
}
