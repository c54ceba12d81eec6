// A small asynchronous HTTP/1.1 server on Boost.Beast, shared by the gateway's admin
// endpoints and the Databricks emulator.
//
// The handler is called on one of the server's I/O threads for every request. It answers by
// calling the Responder exactly once, from any thread, now or later; so a handler may hold a
// request open (a long poll) without blocking a thread. Connections are kept alive when the
// client asks for it.
#ifndef SERVER_HTTP_SERVER_H_
#define SERVER_HTTP_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gateway::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent: "/a/b?x=1"
  std::string path;    // target up to '?', not decoded
  std::string query;   // target after '?', not decoded; empty when none
  // Header names are lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header with this lower-case name, or nullptr.
  const std::string* Header(absl::string_view lower_case_name) const;
};

struct Response {
  // How the response reaches the client. The last two exist for fault injection.
  enum class Delivery {
    kNormal,
    kResetConnection,  // send nothing; close the connection with a TCP reset
    kTruncateBody,     // send the head and half of the body, then close the connection
  };

  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Delivery delivery = Delivery::kNormal;

  static Response Text(int status, std::string body);
  static Response Json(int status, std::string body);
};

using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request, Responder)>;

struct ServerOptions {
  std::string address = "127.0.0.1:0";  // "host:port"; the host must be an IP or localhost
  int io_threads = 1;
  size_t max_body_bytes = 64 << 20;  // larger requests get 413
  std::chrono::seconds idle_timeout{60};
};

// Connection counts since the server started.
struct ServerStats {
  int64_t connections_accepted = 0;
  int64_t connections_closed = 0;
  // Requests whose client closed the connection before the response was sent.
  int64_t requests_abandoned = 0;
};

class Server {
 public:
  // Binds and starts serving. Errors: INVALID_ARGUMENT for a malformed address,
  // UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, Handler handler);
  // Stops the I/O threads and closes every connection. Responders must not outlive the
  // server: whoever holds one (a long poll) drops it first.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  ServerStats stats() const;
  // The I/O context the handler runs on, for timers that belong with the requests.
  boost::asio::io_context& io_context() { return *io_; }

 private:
  class Listener;
  Server(std::unique_ptr<boost::asio::io_context> io, std::shared_ptr<Listener> listener, int port,
         int io_threads);

  std::unique_ptr<boost::asio::io_context> io_;
  std::shared_ptr<Listener> listener_;
  int port_;
  std::vector<std::thread> threads_;
};

// Splits "host:port" into an IP endpoint ("localhost" means 127.0.0.1; "[::1]:80" works).
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view address);

// Percent-decodes a query component ('+' is a space). Malformed escapes are kept as written.
std::string UrlDecode(absl::string_view text);

// Finds the first `name=value` pair in a query string: stores the decoded value and returns
// true, or returns false when `name` is absent.
bool QueryParam(absl::string_view query, absl::string_view name, std::string* value);

}  // namespace gateway::http

#endif  // SERVER_HTTP_SERVER_H_
