# drover as a Nomad *system* job: one instance per client node (each instance serves status and, with
# issue #5, registers its own node's weave services; only the elected leader writes jobs when
# DROVER_LEADER_ELECTION=consul). Checked on /healthz; /readyz is for humans and load balancers.
job "drover" {
  type        = "system"
  datacenters = ["dc1"]

  group "drover" {
    network {
      port "http" {
        to = 8080
      }
    }

    task "drover" {
      driver = "docker"

      config {
        image = "ghcr.io/example/drover:0.1.0"
        ports = ["http"]
      }

      env {
        DROVER_LISTEN             = "0.0.0.0:8080"
        DROVER_GIT_URL            = "https://git.example.com/platform/apps.git"
        DROVER_GIT_REF            = "main"
        DROVER_GIT_PATH           = "apps"
        DROVER_GIT_POLL_INTERVAL  = "30s"
        DROVER_OWNER              = "drover-dc1"
        DROVER_EXTRA_ENV          = "CONSUL_HTTP_ADDR=169.254.1.1:8500"
        DROVER_LEADER_ELECTION    = "consul"
        NOMAD_ADDR                = "http://${attr.unique.network.ip-address}:4646"
        CONSUL_HTTP_ADDR          = "http://${attr.unique.network.ip-address}:8500"
      }

      # Tokens come from Vault/Nomad variables, never from the jobspec in git.
      template {
        destination = "secrets/drover.env"
        env         = true
        data        = <<-EOT
        {{ with nomadVar "nomad/jobs/drover" }}
        NOMAD_TOKEN={{ .nomad_token }}
        CONSUL_HTTP_TOKEN={{ .consul_token }}
        DROVER_WEBHOOK_SECRET={{ .webhook_secret }}
        DROVER_ADMIN_TOKEN={{ .admin_token }}
        {{ end }}
        EOT
      }

      resources {
        cpu    = 200
        memory = 256
      }

      service {
        name     = "drover"
        port     = "http"
        provider = "consul"
        tags     = ["traefik.enable=false", "prometheus"]

        check {
          name     = "drover alive"
          type     = "http"
          path     = "/healthz"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
  }
}
