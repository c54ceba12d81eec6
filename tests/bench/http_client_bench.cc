// What the upstream client itself costs per request, against a local keep-alive HTTP server
// on loopback that answers a small JSON body at once:
//   BM_RawBeastRoundTrip    a synchronous Beast client on one kept-alive socket: the floor
//                           (server + kernel + parsing), with no pool, threads or callbacks;
//   BM_HttpClientRoundTrip  BeastHttpClient: pool, strand, deadline timer, callback;
//   BM_WorkspaceClientRoundTrip  WorkspaceClient over it: breaker, workspace limit, retry
//                           budget, error table, metrics.
// The client's overhead is the difference from the floor. `make bench` runs it with -c opt.
#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "prometheus/registry.h"
#include "server/http/server.h"
#include "server/metrics/upstream_metrics.h"
#include "server/upstream/beast_http_client.h"
#include "server/upstream/workspace_client.h"

namespace gateway::upstream {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

constexpr char kBody[] =
    R"({"warehouses":[{"id":"wh","name":"Main","state":"RUNNING","cluster_size":"Small"}]})";

std::unique_ptr<http::Server> StartServer() {
  http::ServerOptions options;
  options.io_threads = 1;
  absl::StatusOr<std::unique_ptr<http::Server>> server =
      http::Server::Start(options, [](const http::Request&, const http::Responder& respond) {
        respond(http::Response::Json(200, kBody));
      });
  if (!server.ok()) std::abort();
  return *std::move(server);
}

void BM_RawBeastRoundTrip(benchmark::State& state) {
  std::unique_ptr<http::Server> server = StartServer();
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server->port())});
  socket.set_option(asio::ip::tcp::no_delay(true));
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> request(bhttp::verb::get, "/api/2.0/sql/warehouses", 11);
  request.set(bhttp::field::host, "127.0.0.1");
  request.keep_alive(true);
  for (auto _ : state) {
    bhttp::write(socket, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket, buffer, response);
    benchmark::DoNotOptimize(response.body().size());
  }
}
BENCHMARK(BM_RawBeastRoundTrip)->UseRealTime();

HttpClientOptions PlainOptions() {
  HttpClientOptions options;
  options.allow_plaintext = true;
  return options;
}

void BM_HttpClientRoundTrip(benchmark::State& state) {
  std::unique_ptr<http::Server> server = StartServer();
  std::unique_ptr<BeastHttpClient> client = *BeastHttpClient::Create(PlainOptions());
  const std::string url =
      absl::StrCat("http://127.0.0.1:", server->port(), "/api/2.0/sql/warehouses");
  for (auto _ : state) {
    HttpRequest request;
    request.url = url;
    request.deadline = absl::Now() + absl::Seconds(5);
    std::promise<absl::StatusOr<HttpResponse>> done;
    client->Send(std::move(request), [&done](absl::StatusOr<HttpResponse> response) {
      done.set_value(std::move(response));
    });
    absl::StatusOr<HttpResponse> response = done.get_future().get();
    if (!response.ok() || response->status != 200) state.SkipWithError("request failed");
  }
  state.counters["connections"] = static_cast<double>(client->connections_opened());
}
BENCHMARK(BM_HttpClientRoundTrip)->UseRealTime();

void BM_WorkspaceClientRoundTrip(benchmark::State& state) {
  std::unique_ptr<http::Server> server = StartServer();
  prometheus::Registry registry;
  metrics::UpstreamMetrics metrics(registry);
  WorkspaceOptions options;
  options.name = "bench";
  options.host = absl::StrCat("http://127.0.0.1:", server->port());
  options.allow_plaintext = true;
  options.rate_limit_rps = 1e9;  // measure the limiter's cost, not its waits
  options.rate_limit_burst = 1'000'000;
  HttpClientOptions http = PlainOptions();
  http.metrics = &metrics.ForWorkspace(options.name);
  WorkspaceClient client(options, *BeastHttpClient::Create(http),
                         metrics.ForWorkspace(options.name));
  for (auto _ : state) {
    Call call;
    call.path = "/api/2.0/sql/warehouses";
    call.headers = {{"Authorization", "Bearer dapi-bench"}};
    call.deadline = absl::Now() + absl::Seconds(5);
    call.operation = "sql.warehouses.list";
    call.idempotent = true;
    std::promise<absl::StatusOr<HttpResponse>> done;
    client.Send(std::move(call), [&done](absl::StatusOr<HttpResponse> response) {
      done.set_value(std::move(response));
    });
    absl::StatusOr<HttpResponse> response = done.get_future().get();
    if (!response.ok()) state.SkipWithError("request failed");
  }
}
BENCHMARK(BM_WorkspaceClientRoundTrip)->UseRealTime();

}  // namespace
}  // namespace gateway::upstream

BENCHMARK_MAIN();
