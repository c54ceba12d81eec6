#include "tests/bench/loadgen/loadgen.h"

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace gateway::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void SleepUntilNanos(int64_t at) {
  std::this_thread::sleep_until(Clock::time_point(std::chrono::nanoseconds(at)));
}

// What the calls of one run share; held by every call in flight, so a call that ends after
// RunLoad gave up waiting for it touches nothing that is gone.
class Recorder {
 public:
  Recorder(int64_t window_start, int64_t window_end)
      : window_start_(window_start), window_end_(window_end) {}

  int64_t window_end() const { return window_end_; }

  // A call that starts (or, in open loop, was scheduled) at `start`.
  void Started(int64_t start) {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
    if (InWindow(start)) ++report_.started;
  }

  void Ended(int64_t start, const std::string& outcome) {
    const int64_t now = NowNanos();
    absl::MutexLock lock(&mu_);
    --in_flight_;
    if (!InWindow(start)) return;
    ++report_.ended;
    ++report_.outcomes[outcome];
    if (outcome == "OK") report_.latency.Record(now - start);
  }

  void ScheduleLag(int64_t start, int64_t lag) {
    if (!InWindow(start)) return;
    absl::MutexLock lock(&mu_);
    report_.max_schedule_lag_ms = std::max(report_.max_schedule_lag_ms, lag / 1e6);
  }

  // Waits until no call is in flight or `timeout` passed; the report so far.
  LoadReport Finish(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    // absl::Condition calls a function of a T*, not of a const T*.
    // NOLINTNEXTLINE(readability-non-const-parameter)
    auto idle = [](int64_t* in_flight) { return *in_flight == 0; };
    mu_.AwaitWithTimeout(absl::Condition(+idle, &in_flight_), timeout);
    LoadReport report = report_;
    report.seconds = (window_end_ - window_start_) / 1e9;
    return report;
  }

 private:
  bool InWindow(int64_t start) const { return start >= window_start_ && start < window_end_; }

  const int64_t window_start_;
  const int64_t window_end_;
  absl::Mutex mu_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  LoadReport report_ ABSL_GUARDED_BY(mu_);
};

// One closed-loop caller: starts its next call when the previous one ends, until the
// window is over.
void StartLane(CallTarget& target, const std::shared_ptr<Recorder>& recorder) {
  const int64_t start = NowNanos();
  if (start >= recorder->window_end()) return;
  recorder->Started(start);
  target.Start([&target, recorder, start](const std::string& outcome) {
    recorder->Ended(start, outcome);
    StartLane(target, recorder);
  });
}

}  // namespace

int64_t LoadReport::failures() const {
  auto ok = outcomes.find("OK");
  return ended - (ok == outcomes.end() ? 0 : ok->second);
}

std::string FormatNanos(int64_t nanos) {
  const auto v = static_cast<double>(nanos);
  if (v < 1e3) return absl::StrCat(nanos, "ns");
  if (v < 1e6) return absl::StrFormat("%.3gus", v / 1e3);
  if (v < 1e9) return absl::StrFormat("%.3gms", v / 1e6);
  return absl::StrFormat("%.3gs", v / 1e9);
}

std::string LoadReport::Summary() const {
  std::string line = absl::StrFormat(
      "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s | %.1f calls/s | started %d ended %d |",
      FormatNanos(latency.Quantile(0.5)), FormatNanos(latency.Quantile(0.9)),
      FormatNanos(latency.Quantile(0.99)), FormatNanos(latency.Quantile(0.999)),
      FormatNanos(latency.max()), throughput(), started, ended);
  for (const auto& [outcome, calls] : outcomes) absl::StrAppend(&line, " ", outcome, " ", calls);
  if (max_schedule_lag_ms > 0) {
    absl::StrAppend(&line, absl::StrFormat(" | schedule lag max %.2fms", max_schedule_lag_ms));
  }
  return line;
}

LoadReport RunLoad(CallTarget& target, const LoadOptions& options) {
  const int64_t begin = NowNanos();
  const int64_t window_start = begin + absl::ToInt64Nanoseconds(options.warmup);
  const int64_t window_end = window_start + absl::ToInt64Nanoseconds(options.duration);
  auto recorder = std::make_shared<Recorder>(window_start, window_end);

  if (options.mode == LoadOptions::Mode::kClosed) {
    for (int i = 0; i < options.concurrency; ++i) StartLane(target, recorder);
    SleepUntilNanos(window_end);
  } else {
    // Wake-ups within a microsecond rather than the default 50 µs timer slack.
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    const double interval = 1e9 / options.rate;
    for (int64_t i = 0;; ++i) {
      const int64_t at = begin + std::llround(i * interval);
      if (at >= window_end) break;
      SleepUntilNanos(at);
      recorder->ScheduleLag(at, NowNanos() - at);
      recorder->Started(at);
      target.Start([recorder, at](const std::string& outcome) { recorder->Ended(at, outcome); });
    }
  }
  return recorder->Finish(options.drain);
}

}  // namespace gateway::bench
