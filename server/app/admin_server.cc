#include "server/app/admin_server.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gateway::app {
namespace {

http::Response Route(const http::Request& request, const AdminHandlers& handlers) {
  const std::string& path = request.path;
  const bool known =
      path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/config";
  if (!known) {
    return http::Response::Text(404, "not found; try /metrics, /healthz, /readyz or /config\n");
  }
  if (request.method != "GET") {
    http::Response response = http::Response::Text(405, "only GET is allowed\n");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  if (path == "/metrics") {
    http::Response response = http::Response::Text(200, handlers.metrics());
    response.headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}};
    return response;
  }
  if (path == "/healthz") return http::Response::Text(200, "ok\n");
  if (path == "/readyz") {
    const std::string reason = handlers.not_ready_reason();
    return reason.empty() ? http::Response::Text(200, "ready\n")
                          : http::Response::Text(503, absl::StrCat("not ready: ", reason, "\n"));
  }
  http::Response response = http::Response::Text(200, handlers.config());
  response.headers = {{"Content-Type", "application/yaml; charset=utf-8"}};
  return response;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const std::string& address,
                                                                AdminHandlers handlers) {
  http::ServerOptions options;
  options.address = address;
  options.max_body_bytes = 64 << 10;
  auto shared_handlers = std::make_shared<const AdminHandlers>(std::move(handlers));
  absl::StatusOr<std::unique_ptr<http::Server>> server = http::Server::Start(
      options, [shared_handlers](const http::Request& request, const http::Responder& respond) {
        respond(Route(request, *shared_handlers));
      });
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("admin server: ", server.status().message()));
  }
  return std::unique_ptr<AdminServer>(new AdminServer(*std::move(server)));
}

}  // namespace gateway::app
