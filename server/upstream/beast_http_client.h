// HttpClient on Boost.Beast and OpenSSL: its own I/O threads, a keep-alive connection pool
// per origin (scheme, host, port) with a maximum size, TLS with certificate and host-name
// verification, connect/idle/deadline timeouts, a response size limit and gzip decoding.
//
// The only code in the gateway that touches sockets or TLS.
#ifndef SERVER_UPSTREAM_BEAST_HTTP_CLIENT_H_
#define SERVER_UPSTREAM_BEAST_HTTP_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/upstream_metrics.h"
#include "server/upstream/http_client.h"
#include "server/upstream/options.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}  // namespace ssl
}  // namespace boost::asio

namespace gateway::upstream {

struct HttpClientOptions {
  int io_threads = 1;
  // Connections per origin, busy and idle together. Requests beyond wait for one to free.
  int max_connections_per_origin = 32;
  absl::Duration connect_timeout = absl::Seconds(5);  // TCP connect and TLS handshake
  absl::Duration idle_timeout = absl::Seconds(60);    // idle kept-alive connections close
  int64_t max_response_bytes = 64 << 20;              // after gzip decoding
  // PEM file of the CAs to trust instead of the system store; empty: the system store.
  std::string ca_file;
  // Allow http:// URLs (the local emulator); otherwise only https://.
  bool allow_plaintext = false;
  std::string user_agent = "databricks-gateway";
  // Connection counters (databricks_connections_{opened,reused}_total); may be null.
  metrics::UpstreamMetrics::Workspace* metrics = nullptr;
};

// The client options of a workspace's configuration.
HttpClientOptions HttpClientOptionsFor(const WorkspaceOptions& workspace,
                                       metrics::UpstreamMetrics::Workspace* metrics);

class BeastHttpClient final : public HttpClient {
 public:
  // Fails with INVALID_ARGUMENT when the CA file cannot be loaded.
  static absl::StatusOr<std::unique_ptr<BeastHttpClient>> Create(HttpClientOptions options);
  // Stops the I/O threads and closes every connection. Callbacks still pending are dropped
  // without being called: destroy the client after its callers are gone.
  ~BeastHttpClient() override;

  void Send(HttpRequest request, HttpCallback done) override;
  void RunAfter(absl::Duration delay, std::function<void()> fn) override;

  // Connections opened and requests sent on a reused connection, since creation.
  int64_t connections_opened() const { return opened_; }
  int64_t connections_reused() const { return reused_; }

  class Pool;
  class Connection;
  class Exchange;

 private:
  BeastHttpClient(HttpClientOptions options, std::unique_ptr<boost::asio::ssl::context> tls);
  std::shared_ptr<Pool> PoolFor(const std::string& origin_key);

  const HttpClientOptions options_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  struct Work;  // keeps the I/O threads running while idle
  std::unique_ptr<Work> work_;
  std::atomic<int64_t> opened_{0};
  std::atomic<int64_t> reused_{0};
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Pool>> pools_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_BEAST_HTTP_CLIENT_H_
