#include "server/app/admin_server.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gateway::app {
namespace {

// Whether the request may read /config: always on loopback, otherwise with the token.
bool ConfigAllowed(const http::Request& request, const AdminHandlers& handlers, bool loopback) {
  if (loopback) return true;
  const std::string& token = handlers.config_token;
  if (token.empty()) return false;
  const std::string* authorization = request.Header("authorization");
  if (authorization == nullptr) return false;
  const absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return false;
  const absl::string_view presented = absl::StripAsciiWhitespace(value.substr(7));
  return presented.size() == token.size() &&
         CRYPTO_memcmp(presented.data(), token.data(), token.size()) == 0;
}

http::Response Route(const http::Request& request, const AdminHandlers& handlers, bool loopback) {
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
  if (!ConfigAllowed(request, handlers, loopback)) {
    if (handlers.config_token.empty()) {
      return http::Response::Text(
          403,
          "/config is served off loopback only with server.admin_token set, and then only to "
          "'Authorization: Bearer TOKEN'\n");
    }
    http::Response response = http::Response::Text(
        401, "/config needs 'Authorization: Bearer TOKEN' (server.admin_token)\n");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  http::Response response = http::Response::Text(200, handlers.config());
  response.headers = {{"Content-Type", "application/yaml; charset=utf-8"}};
  return response;
}

}  // namespace

bool IsLoopbackAddress(absl::string_view address) {
  std::string host(address.substr(0, address.rfind(':')));
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const std::string& address,
                                                                AdminHandlers handlers) {
  http::ServerOptions options;
  options.address = address;
  options.max_body_bytes = 64 << 10;
  auto shared_handlers = std::make_shared<const AdminHandlers>(std::move(handlers));
  const bool loopback = IsLoopbackAddress(address);
  absl::StatusOr<std::unique_ptr<http::Server>> server = http::Server::Start(
      options,
      [shared_handlers, loopback](const http::Request& request, const http::Responder& respond) {
        respond(Route(request, *shared_handlers, loopback));
      });
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("admin server: ", server.status().message()));
  }
  return std::unique_ptr<AdminServer>(new AdminServer(*std::move(server)));
}

}  // namespace gateway::app
