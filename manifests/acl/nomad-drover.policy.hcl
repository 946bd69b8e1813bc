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

namespace "*" {
  capabilities = ["list-jobs", "read-job"]
}

node {
  policy = "read"
}
