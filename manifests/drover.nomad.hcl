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

      # SIGTERM starts drover's graceful stop: new work off, reads and git aborted, writes in flight
      # waited for (DROVER_SHUTDOWN_TIMEOUT, 10s), then the leader lock given up. It ends within
      # DROVER_SHUTDOWN_TIMEOUT + 8s (18s) or drover exits 1 itself, well before Nomad's SIGKILL at
      # kill_timeout. 30s is also the Nomad client's default max_kill_timeout, which caps this value:
      # a longer DROVER_SHUTDOWN_TIMEOUT needs both raised (client config `max_kill_timeout`).
      kill_signal  = "SIGTERM"
      kill_timeout = "30s"

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
        DROVER_SHUTDOWN_TIMEOUT   = "10s"
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
