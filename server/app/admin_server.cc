#include "server/app/admin_server.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace gateway::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kReadTimeout = std::chrono::seconds(30);

http::response<http::string_body> Route(const http::request<http::string_body>& request,
                                        const AdminHandlers& handlers) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  const beast::string_view target = request.target();
  const beast::string_view path = target.substr(0, target.find('?'));
  const bool known =
      path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/config";
  if (!known) {
    response.result(http::status::not_found);
    response.body() = "not found; try /metrics, /healthz, /readyz or /config\n";
  } else if (request.method() != http::verb::get) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET");
    response.body() = "only GET is allowed\n";
  } else if (path == "/metrics") {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = handlers.metrics();
  } else if (path == "/healthz") {
    response.result(http::status::ok);
    response.body() = "ok\n";
  } else if (path == "/readyz") {
    const std::string reason = handlers.not_ready_reason();
    response.result(reason.empty() ? http::status::ok : http::status::service_unavailable);
    response.body() = reason.empty() ? "ready\n" : absl::StrCat("not ready: ", reason, "\n");
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, "application/yaml; charset=utf-8");
    response.body() = handlers.config();
  }
  response.prepare_payload();
  return response;
}

// One connection: read a request, answer, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const AdminHandlers> handlers)
      : stream_(std::move(socket)), handlers_(std::move(handlers)) {}

  void Read() {
    request_ = {};
    stream_.expires_after(kReadTimeout);
    http::async_read(
        stream_, buffer_, request_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    response_ = Route(request_, *handlers_);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!self->response_.keep_alive()) {
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                          return;
                        }
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::shared_ptr<const AdminHandlers> handlers_;
};

}  // namespace

class AdminServer::Listener : public std::enable_shared_from_this<AdminServer::Listener> {
 public:
  Listener(asio::io_context& io, tcp::acceptor acceptor, AdminHandlers handlers)
      : io_(io),
        acceptor_(std::move(acceptor)),
        handlers_(std::make_shared<const AdminHandlers>(std::move(handlers))) {}

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec,
                                                                               tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::make_shared<Session>(std::move(socket), self->handlers_)->Read();
      }
      self->Accept();
    });
  }

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const AdminHandlers> handlers_;
};

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const std::string& address,
                                                                AdminHandlers handlers) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin address \"", address, "\" is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin address \"", address, "\" needs an IP address: ", ec.message()));
  }
  auto io = std::make_unique<asio::io_context>(1);
  tcp::acceptor acceptor(*io);
  const tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on admin address ", address, ": ", ec.message()));
  }
  const int bound_port = acceptor.local_endpoint().port();
  auto listener = std::make_shared<Listener>(*io, std::move(acceptor), std::move(handlers));
  listener->Accept();
  return std::unique_ptr<AdminServer>(
      new AdminServer(std::move(io), std::move(listener), bound_port));
}

AdminServer::AdminServer(std::unique_ptr<asio::io_context> io, std::shared_ptr<Listener> listener,
                         int port)
    : io_(std::move(io)), listener_(std::move(listener)), port_(port) {
  thread_ = std::thread([this] { io_->run(); });
}

AdminServer::~AdminServer() {
  io_->stop();
  thread_.join();
}

}  // namespace gateway::app
