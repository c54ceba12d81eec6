// The calls the benchmarks make: JobsService.GetRun over gRPC (to the gateway or to the
// echo server) and an HTTP GET (to the emulator directly or through a reverse proxy).
#ifndef TESTS_BENCH_LOADGEN_TARGETS_H_
#define TESTS_BENCH_LOADGEN_TARGETS_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "tests/bench/loadgen/loadgen.h"

namespace gateway::bench {

// JobsService.GetRun(run_id) through the gRPC callback API, spread round-robin over
// `connections` separate HTTP/2 connections. An empty `api_key` sends no authorization.
// With several run ids, each call reads the next in turn.
class GrpcGetRunTarget : public CallTarget {
 public:
  GrpcGetRunTarget(const std::string& address, const std::string& api_key, std::string run_id,
                   int connections = 2, absl::Duration deadline = absl::Seconds(10))
      : GrpcGetRunTarget(address, api_key, std::vector<std::string>{std::move(run_id)}, connections,
                         deadline) {}
  GrpcGetRunTarget(const std::string& address, const std::string& api_key,
                   std::vector<std::string> run_ids, int connections = 2,
                   absl::Duration deadline = absl::Seconds(10));
  void Start(Done done) override;

 private:
  std::vector<std::unique_ptr<databricks::gateway::v1::JobsService::Stub>> stubs_;
  const std::string authorization_;
  const std::vector<std::string> run_ids_;
  const absl::Duration deadline_;
  std::atomic<uint64_t> next_{0};
};

// GET `path` from 127.0.0.1:`port` with `headers`, over up to `connections` keep-alive
// connections on one I/O thread; a call waits for a free connection when all are busy.
// Outcome "OK" for a 200, "HTTP <status>" otherwise, or "transport: <reason>".
class HttpGetTarget : public CallTarget {
 public:
  HttpGetTarget(int port, const std::string& path,
                const std::map<std::string, std::string>& headers, int connections = 64,
                absl::Duration deadline = absl::Seconds(10));
  ~HttpGetTarget() override;
  void Start(Done done) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gateway::bench

#endif  // TESTS_BENCH_LOADGEN_TARGETS_H_
