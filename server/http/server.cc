#include "server/http/server.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <optional>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace gateway::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

Request ToRequest(bhttp::request<bhttp::string_body>&& message) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  const size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : message) {
    request.headers.emplace_back(absl::AsciiStrToLower(absl::string_view(
                                     field.name_string().data(), field.name_string().size())),
                                 std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

struct Counters {
  std::atomic<int64_t> accepted{0};
  std::atomic<int64_t> closed{0};
  std::atomic<int64_t> abandoned{0};
};

// One connection: read a request, hand it to the handler, write its response, repeat while
// the client keeps the connection alive. All socket work runs on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const Handler> handler, const ServerOptions& options,
          std::shared_ptr<Counters> counters)
      : stream_(std::move(socket)),
        handler_(std::move(handler)),
        max_body_bytes_(options.max_body_bytes),
        idle_timeout_(options.idle_timeout),
        counters_(std::move(counters)) {
    ++counters_->accepted;
  }
  ~Session() { ++counters_->closed; }

  void Read() {
    parser_.emplace();
    parser_->body_limit(max_body_bytes_);
    stream_.expires_after(idle_timeout_);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      keep_alive_ = false;
      awaiting_response_ = true;
      Write(
          Response::Text(413, absl::StrCat("request body exceeds ", max_body_bytes_, " bytes\n")));
      return;
    }
    if (ec) {
      Close();
      return;
    }
    bhttp::request<bhttp::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    // The connection stays idle while the handler works; a long poll must not time out.
    stream_.expires_never();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [self = shared_from_this(), answered](Response response) {
      if (answered->exchange(true)) return;
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    };
    awaiting_response_ = true;
    (*handler_)(ToRequest(std::move(message)), std::move(respond));
    WatchForHangUp();
  }

  // While the handler works, notices a client that closes the connection: the request is
  // abandoned and the connection closed at once rather than when the answer is written.
  void WatchForHangUp() {
    if (watching_) return;  // one watch at a time, across requests on this connection
    watching_ = true;
    stream_.socket().async_wait(
        tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
          self->watching_ = false;
          if (ec || !self->awaiting_response_) return;
          char byte;
          const ssize_t n =
              ::recv(self->stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n > 0) return;  // the next request arrived early; it is read after this answer
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            self->WatchForHangUp();
            return;
          }
          ++self->counters_->abandoned;
          self->awaiting_response_ = false;
          self->Close();
        });
  }

  void Write(Response response) {
    if (!awaiting_response_) return;  // the client hung up
    awaiting_response_ = false;
    if (response.delivery == Response::Delivery::kResetConnection) {
      Reset();
      return;
    }
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
    message->version(version_);
    message->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) message->set(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive_);
    message->prepare_payload();
    if (response.delivery == Response::Delivery::kTruncateBody) {
      std::ostringstream wire;
      wire << *message;
      const size_t half_body = message->body().size() / 2;
      auto bytes = std::make_shared<std::string>(wire.str());
      bytes->resize(bytes->size() - (message->body().size() - half_body));
      asio::async_write(
          stream_, asio::buffer(*bytes),
          [self = shared_from_this(), bytes](beast::error_code, size_t) { self->Close(); });
      return;
    }
    bhttp::async_write(stream_, *message,
                       [self = shared_from_this(), message](beast::error_code ec, size_t) {
                         if (ec || !self->keep_alive_) {
                           self->Close();
                           return;
                         }
                         self->Read();
                       });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  // Closes with SO_LINGER 0, so the peer sees a reset rather than an orderly end.
  void Reset() {
    beast::error_code ignored;
    stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<const Handler> handler_;
  const size_t max_body_bytes_;
  const std::chrono::seconds idle_timeout_;
  const std::shared_ptr<Counters> counters_;
  bool keep_alive_ = true;
  bool awaiting_response_ = false;
  bool watching_ = false;
  unsigned version_ = 11;
};

}  // namespace

class Server::Listener : public std::enable_shared_from_this<Server::Listener> {
 public:
  Listener(asio::io_context& io, tcp::acceptor acceptor, Handler handler, ServerOptions options)
      : io_(io),
        acceptor_(std::move(acceptor)),
        handler_(std::make_shared<const Handler>(std::move(handler))),
        options_(std::move(options)) {}

  ServerStats stats() const {
    return {counters_->accepted.load(), counters_->closed.load(), counters_->abandoned.load()};
  }

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             self->OnAccept(ec, std::move(socket));
                           });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), handler_, options_, counters_)->Read();
    }
    Accept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const Handler> handler_;
  const ServerOptions options_;
  const std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

const std::string* Request::Header(absl::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return &value;
  }
  return nullptr;
}

namespace {

Response WithContentType(int status, const char* content_type, std::string body) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", content_type);
  response.body = std::move(body);
  return response;
}

}  // namespace

Response Response::Text(int status, std::string body) {
  return WithContentType(status, "text/plain; charset=utf-8", std::move(body));
}

Response Response::Json(int status, std::string body) {
  return WithContentType(status, "application/json", std::move(body));
}

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" is not host:port"));
  }
  std::string host(address.substr(0, colon));
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\" needs an IP address: ", ec.message()));
  }
  return std::make_pair(host, port);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler) {
  absl::StatusOr<std::pair<std::string, int>> host_port = SplitHostPort(options.address);
  if (!host_port.ok()) return host_port.status();
  const int io_threads = std::max(1, options.io_threads);
  auto io = std::make_unique<asio::io_context>(io_threads);
  tcp::acceptor acceptor(*io);
  const tcp::endpoint endpoint(asio::ip::make_address(host_port->first),
                               static_cast<unsigned short>(host_port->second));
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.address, ": ", ec.message()));
  }
  const int bound_port = acceptor.local_endpoint().port();
  auto listener =
      std::make_shared<Listener>(*io, std::move(acceptor), std::move(handler), std::move(options));
  listener->Accept();
  return std::unique_ptr<Server>(
      new Server(std::move(io), std::move(listener), bound_port, io_threads));
}

Server::Server(std::unique_ptr<asio::io_context> io, std::shared_ptr<Listener> listener, int port,
               int io_threads)
    : io_(std::move(io)), listener_(std::move(listener)), port_(port) {
  for (int i = 0; i < io_threads; ++i) threads_.emplace_back([this] { io_->run(); });
}

ServerStats Server::stats() const { return listener_->stats(); }

Server::~Server() {
  io_->stop();
  for (std::thread& thread : threads_) thread.join();
}

std::string UrlDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    int value = 0;
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && absl::ascii_isxdigit(text[i + 1]) &&
               absl::ascii_isxdigit(text[i + 2]) &&
               absl::SimpleHexAtoi(text.substr(i + 1, 2), &value)) {
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool QueryParam(absl::string_view query, absl::string_view name, std::string* value) {
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    const size_t equals = pair.find('=');
    const absl::string_view key = pair.substr(0, equals);
    if (UrlDecode(key) != name) continue;
    *value = equals == absl::string_view::npos ? "" : UrlDecode(pair.substr(equals + 1));
    return true;
  }
  return false;
}

}  // namespace gateway::http
