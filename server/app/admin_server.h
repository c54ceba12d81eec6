// The admin HTTP server (Boost.Beast): /metrics, /healthz, /readyz and /config.
//
// Runs its own I/O thread (a gateway::http::Server). Handlers are called on that thread and
// must not block.
#ifndef SERVER_APP_ADMIN_SERVER_H_
#define SERVER_APP_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
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
};

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
