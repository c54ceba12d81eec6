// loadgen: drives JobsService.GetRun over gRPC, or an HTTP GET, at a fixed rate or
// concurrency, and prints latency percentiles, throughput and outcomes.
//
//   loadgen --grpc=127.0.0.1:PORT --run-id=ID [--api-key-env=VAR]
//   loadgen --http=http://127.0.0.1:PORT/PATH [--header=NAME:VALUE]...
//     [--concurrency=N | --rate=CALLS_PER_SECOND] [--duration=5s] [--warmup=1s]
//     [--connections=N]
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "tests/bench/loadgen/loadgen.h"
#include "tests/bench/loadgen/targets.h"

namespace {

constexpr char kUsage[] =
    "usage: loadgen (--grpc=127.0.0.1:PORT --run-id=ID | --http=http://127.0.0.1:PORT/PATH)\n"
    "               [--concurrency=N | --rate=R] [--duration=5s] [--warmup=1s]\n"
    "\n"
    "  --grpc=ADDR        call JobsService.GetRun on ADDR (the gateway or echo_server)\n"
    "  --run-id=ID        the run handle to get\n"
    "  --api-key-env=VAR  send `authorization: Bearer $VAR` (default DBGW_API_KEY, if set)\n"
    "  --http=URL         GET URL on 127.0.0.1 instead (the emulator, a proxy)\n"
    "  --header=N:V       an HTTP header to send; repeatable\n"
    "  --concurrency=N    closed loop: N calls in flight (default 1)\n"
    "  --rate=R           open loop: R calls per second, latency from the scheduled time\n"
    "  --duration=D       measured time (default 5s); --warmup=D before it (default 1s)\n"
    "  --connections=N    connections to spread calls over (gRPC 2, HTTP 64)\n";

int Usage(const std::string& problem) {
  std::cerr << "loadgen: " << problem << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using gateway::bench::LoadOptions;
  LoadOptions options;
  std::string grpc_address;
  std::string run_id;
  std::string http_url;
  std::string api_key_env = "DBGW_API_KEY";
  std::map<std::string, std::string> headers;
  int connections = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    bool ok = true;
    if (arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (name == "--grpc") {
      grpc_address = value;
    } else if (name == "--run-id") {
      run_id = value;
    } else if (name == "--api-key-env") {
      api_key_env = value;
    } else if (name == "--http") {
      http_url = value;
    } else if (name == "--header") {
      std::pair<std::string, std::string> header = absl::StrSplit(value, absl::MaxSplits(':', 1));
      ok = !header.first.empty();
      headers[header.first] = header.second;
    } else if (name == "--concurrency") {
      options.mode = LoadOptions::Mode::kClosed;
      ok = absl::SimpleAtoi(value, &options.concurrency) && options.concurrency > 0;
    } else if (name == "--rate") {
      options.mode = LoadOptions::Mode::kOpen;
      ok = absl::SimpleAtod(value, &options.rate) && options.rate > 0;
    } else if (name == "--duration") {
      ok = absl::ParseDuration(value, &options.duration) && options.duration > absl::ZeroDuration();
    } else if (name == "--warmup") {
      ok = absl::ParseDuration(value, &options.warmup) && options.warmup >= absl::ZeroDuration();
    } else if (name == "--connections") {
      ok = absl::SimpleAtoi(value, &connections) && connections > 0;
    } else {
      return Usage("unknown flag \"" + arg + "\"");
    }
    if (!ok) return Usage("bad value in \"" + arg + "\"");
  }

  std::unique_ptr<gateway::bench::CallTarget> target;
  if (!grpc_address.empty() == !http_url.empty()) {
    return Usage("give exactly one of --grpc and --http");
  }
  if (!grpc_address.empty()) {
    if (run_id.empty()) return Usage("--grpc needs --run-id");
    const char* key = std::getenv(api_key_env.c_str());
    target = std::make_unique<gateway::bench::GrpcGetRunTarget>(
        grpc_address, key == nullptr ? "" : key, run_id, connections > 0 ? connections : 2);
  } else {
    // Loopback only: the benchmarks never send traffic elsewhere.
    constexpr char kPrefix[] = "http://127.0.0.1:";
    if (!absl::StartsWith(http_url, kPrefix))
      return Usage("--http must start with " + std::string(kPrefix));
    const std::string rest = http_url.substr(sizeof(kPrefix) - 1);
    const size_t slash = rest.find('/');
    int port = 0;
    if (slash == std::string::npos || !absl::SimpleAtoi(rest.substr(0, slash), &port)) {
      return Usage("--http needs a port and a path: " + http_url);
    }
    target = std::make_unique<gateway::bench::HttpGetTarget>(port, rest.substr(slash), headers,
                                                             connections > 0 ? connections : 64);
  }
  const gateway::bench::LoadReport report = gateway::bench::RunLoad(*target, options);
  std::cout << report.Summary() << "\n";
  return report.failures() == 0 && report.ended == report.started ? 0 : 1;
}
