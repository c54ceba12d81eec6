// A load generator: drives one kind of call at a fixed rate (open loop) or with a fixed
// number of calls in flight (closed loop), and reports latency percentiles from a
// histogram, throughput, and the calls' outcomes by status.
//
// Open loop measures each call from the moment the schedule meant to send it, not from
// when it was sent, so a target that falls behind shows its queueing in the latency
// instead of hiding it (no coordinated omission).
#ifndef TESTS_BENCH_LOADGEN_LOADGEN_H_
#define TESTS_BENCH_LOADGEN_LOADGEN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "tests/bench/loadgen/histogram.h"

namespace gateway::bench {

// One kind of call. Start begins a call and returns without waiting for it; `done` runs
// once, on any thread, with the call's outcome: "OK" for success, else a status such as
// "UNAVAILABLE" (gRPC) or "HTTP 429".
class CallTarget {
 public:
  using Done = std::function<void(const std::string& outcome)>;
  virtual ~CallTarget() = default;
  virtual void Start(Done done) = 0;
};

struct LoadOptions {
  enum class Mode { kClosed, kOpen };
  Mode mode = Mode::kClosed;
  // Closed loop: calls kept in flight.
  int concurrency = 1;
  // Open loop: calls started per second, evenly spaced.
  double rate = 100;
  // Calls started during the warm-up are made but not counted.
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
  // How long to wait after the run for calls still in flight.
  absl::Duration drain = absl::Seconds(30);
};

struct LoadReport {
  // Of the calls started in the measured window that succeeded.
  LatencyHistogram latency;
  // Calls started in the measured window, and those that ended (with any outcome).
  int64_t started = 0;
  int64_t ended = 0;
  // Outcome → calls started in the window that ended with it.
  std::map<std::string, int64_t> outcomes;
  double seconds = 0;
  // Whether the open-loop schedule started every call within 1 ms of its time.
  double max_schedule_lag_ms = 0;

  // Calls ended per second of the measured window.
  double throughput() const { return seconds > 0 ? ended / seconds : 0; }
  int64_t failures() const;
  // "p50 412us p90 … p99.9 … | 1234.5 calls/s | OK 6170" on one line.
  std::string Summary() const;
};

// Runs `options` against `target`; returns when every call has ended or the drain time
// is over (calls still in flight are then counted as started, not ended).
LoadReport RunLoad(CallTarget& target, const LoadOptions& options);

// "412us", "1.23ms", "2.5s": a duration in nanoseconds, to three significant digits.
std::string FormatNanos(int64_t nanos);

}  // namespace gateway::bench

#endif  // TESTS_BENCH_LOADGEN_LOADGEN_H_
