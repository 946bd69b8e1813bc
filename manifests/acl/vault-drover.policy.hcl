# Vault policy for drover's pre-flight: it may check that a KV v2 secret exists (metadata), never read values.
path "secret/metadata/*" {
  capabilities = ["read"]
}
