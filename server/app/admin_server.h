// The admin HTTP server (Boost.Beast): /metrics, /healthz, /readyz and /config.
//
// /config shows the whole configuration (tenants, key-hash prefixes, secret references), so
// off loopback it answers only a request that carries `Authorization: Bearer TOKEN` with the
// configured admin token (compared in constant time); without a token configured it is
// refused there altogether. On a loopback address it is open, as /metrics, /healthz and
// /readyz are everywhere (the kubelet's probes and Prometheus carry no credential).
//
// Runs its own I/O thread (a gateway::http::Server). Handlers are called on that thread and
// must not block.
#ifndef SERVER_APP_ADMIN_SERVER_H_
#define SERVER_APP_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/http/server.h"

namespace gateway::app {

// What the admin endpoints report. Each function is called per request.
struct AdminHandlers {
  // Body of /metrics (Prometheus text format).
  std::function<std::string()> metrics;
  // Empty when ready; otherwise why not (the body of a 503 /readyz).
  std::function<std::string()> not_ready_reason;
  // Body of /config: the effective configuration, secrets redacted.
  std::function<std::string()> config;
  // The bearer token /config requires when the server is not on loopback; empty: /config is
  // served on loopback only.
  std::string config_token;
};

// Whether `address` ("host:port") binds a loopback interface only.
bool IsLoopbackAddress(absl::string_view address);

class AdminServer {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free port) and serves until
  // destroyed. Errors: INVALID_ARGUMENT for a malformed address, UNAVAILABLE when the
  // address cannot be bound.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(const std::string& address,
                                                            AdminHandlers handlers);

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The bound port.
  int port() const { return server_->port(); }

 private:
  explicit AdminServer(std::unique_ptr<http::Server> server) : server_(std::move(server)) {}

  std::unique_ptr<http::Server> server_;
};

}  // namespace gateway::app

#endif  // SERVER_APP_ADMIN_SERVER_H_
