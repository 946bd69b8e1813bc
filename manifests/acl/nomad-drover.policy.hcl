# Nomad ACL policy for drover: read and write jobs, read the event stream, nothing else.
# Add one namespace block per namespace drover manages.
namespace "default" {
  capabilities = ["list-jobs", "read-job", "submit-job", "read-job-scaling"]
}

namespace "*" {
  capabilities = ["list-jobs", "read-job"]
}

node {
  policy = "read"
}
