// One HTTP exchange with Databricks (or its token endpoints), asynchronously.
//
// HttpClient is the seam between the gateway and the network: WorkspaceClient adds
// retries, the circuit breaker and the workspace rate limit on top of it, and tests may
// replace it. BeastHttpClient (beast_http_client.h) is the implementation.
#ifndef SERVER_UPSTREAM_HTTP_CLIENT_H_
#define SERVER_UPSTREAM_HTTP_CLIENT_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gateway::upstream {

enum class Method { kGet, kPost, kPut, kPatch, kDelete };

absl::string_view MethodName(Method method);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  Method method = Method::kGet;
  // Absolute: scheme, host, optional port, then path and query.
  std::string url;
  // Sent as given; the client adds Host, User-Agent, Accept-Encoding, Content-Length and,
  // when there is a body and no Content-Type, application/json.
  Headers headers;
  std::string body;
  // When the exchange is abandoned: the connection is closed, never returned to the pool.
  absl::Time deadline = absl::InfiniteFuture();
  // The request may be sent twice. Only then is it sent again, on a new connection, when a
  // kept-alive connection turns out to have been closed by the server.
  bool safe_to_repeat = false;
};

struct HttpResponse {
  int status = 0;
  Headers headers;   // names in lower case
  std::string body;  // decompressed when it came gzip-encoded
  // Times the request went on the wire for this answer: 2 when the client sent it again on a
  // new connection because the kept-alive one it reused was closed under it.
  int wire_attempts = 1;

  // The first header with this lower-case name, or nullptr.
  const std::string* Header(absl::string_view lower_case_name) const;
};

// Called exactly once, on one of the client's threads, never from inside Send. Failures:
//   DEADLINE_EXCEEDED   the deadline passed (before a connection was free, or mid-exchange);
//   UNAVAILABLE         no connection, TLS verification failed, reset, malformed answer;
//   RESOURCE_EXHAUSTED  the response is larger than the client's limit;
//   INVALID_ARGUMENT    the URL is malformed or plain http is not allowed.
// Every message names the host.
using HttpCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  virtual void Send(HttpRequest request, HttpCallback done) = 0;

  // Runs `fn` on one of the client's threads after `delay` (back-off waits and queues).
  virtual void RunAfter(absl::Duration delay, std::function<void()> fn) = 0;
};

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_HTTP_CLIENT_H_
