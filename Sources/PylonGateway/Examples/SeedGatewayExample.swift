/// The seed gateway config that `pylon demo` runs, kept byte-identical to
/// `examples/seed-gateway.yaml` (a test compares them) so the demo shows exactly what
/// the example file says.
public enum SeedGatewayExample {
    /// Where the file lives in the repository, for messages.
    public static let path = "examples/seed-gateway.yaml"

    public static let yaml = #"""
# The seed gateway: the load-balancer-with-auth example from the Pingora tutorial, as a Pylon config.
#
# Check it with:   pylon check -c examples/seed-gateway.yaml
# Run it with:     pylon run -c examples/seed-gateway.yaml
#
# Durations are written with a unit (250ms, 1s, 2m); sizes in bytes or with KiB/MiB (64KiB).
# Every key not written here takes its default; see the GatewayConfig docs for the full list.
# A misspelt key is an error, not silently ignored, so `pylon check` catches typos.

# Where clients connect. Each listener has a name (used in logs and by systemd socket activation).
listeners:
  - name: http
    address: "0.0.0.0:6191"    # every interface, port 6191

# Prometheus metrics on a separate port, reachable only from this machine.
metrics:
  address: "127.0.0.1:6192"   # served at /metrics

# Named groups of backend servers. The tutorial proxies to public servers; these two local
# ports stand in for them so the example works offline (`pylon demo` starts backends there).
upstreams:
  family:
    targets: ["127.0.0.1:9001"]
  default:
    targets: ["127.0.0.1:9002"]

# Routes are tried top to bottom; the first whose path_prefix matches the request path wins,
# so the catch-all "/" must come last.
routes:
  # /login requires the header "Authorization: password"; anything else gets 403.
  - path_prefix: /login
    auth:
      header: Authorization
      equals_secret: password   # a demo secret: use a real one in production
    upstream: default
  - path_prefix: /family
    upstream: family
  - path_prefix: /
    upstream: default

# Applied to every response sent to clients.
response_headers:
  set:
    Server: MyGateway          # replace whatever Server header the backend sent
  remove: [alt-svc]            # don't advertise the backend's other protocols to clients

"""#
}
