# Traefik with the entrypoints drover's default tags use: `web` (HTTP, DROVER_HTTP_ENTRYPOINTS), `websecure`
# (HTTPS, DROVER_HTTPS_ENTRYPOINTS: where routers with `tls`/`certResolver` go by default) and `grpc` (7233 as
# in seed 000, DROVER_GRPC_ENTRYPOINT; a TCP gRPC app without `grpc.host` owns it alone). Routers come from
# Consul catalog tags (provider consul) and Nomad services (provider nomad). TLS certificates come from
# Traefik's default store unless an app names a certificate resolver: add one here (e.g.
# `--certificatesresolvers.letsencrypt.acme...`) under the name the apps use.
job "traefik" {
  type        = "system"
  datacenters = ["dc1"]

  group "traefik" {
    network {
      port "web" {
        static = 80
      }
      port "websecure" {
        static = 443
      }
      port "grpc" {
        static = 7233
      }
      port "admin" {
        static = 8081
      }
    }

    task "traefik" {
      driver = "docker"

      config {
        image        = "traefik:v3.7"
        network_mode = "host"
        args = [
          "--entrypoints.web.address=:80",
          "--entrypoints.websecure.address=:443",
          "--entrypoints.grpc.address=:7233",
          # The API drover's route check reads (TRAEFIK_API_ADDR=http://<node>:8081): --api.insecure serves
          # /api/* on the `traefik` entrypoint only. Keep :8081 reachable from drover's nodes alone.
          "--entrypoints.traefik.address=:8081",
          "--api.insecure=true",
          "--api.dashboard=true",
          "--metrics.prometheus=true",
          "--providers.consulcatalog.prefix=traefik",
          "--providers.consulcatalog.exposedByDefault=false",
          "--providers.consulcatalog.endpoint.address=127.0.0.1:8500",
          "--providers.nomad.prefix=traefik",
          "--providers.nomad.exposedByDefault=false",
          "--providers.nomad.endpoint.address=http://127.0.0.1:4646",
        ]
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
