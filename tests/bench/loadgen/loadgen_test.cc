#include "tests/bench/loadgen/loadgen.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/bench/loadgen/histogram.h"

namespace gateway::bench {
namespace {

TEST(LatencyHistogramTest, BucketsCoverEveryValueWithinOnePart128) {
  for (int64_t v : {0L, 1L, 255L, 256L, 257L, 1000L, 123456L, 999999999L, (1L << 39) + 12345}) {
    const int bucket = LatencyHistogram::BucketOf(v);
    EXPECT_LE(v, LatencyHistogram::UpperBound(bucket)) << v;
    if (bucket > 0) {
      EXPECT_GT(v, LatencyHistogram::UpperBound(bucket - 1)) << v;
    }
    EXPECT_LE(LatencyHistogram::UpperBound(bucket) - v, v / 128 + 1) << v;
  }
  // Consecutive buckets are contiguous: each starts right after the previous one.
  for (int b = 1; b < 256 + 32 * 128; ++b) {
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::UpperBound(b - 1) + 1), b) << b;
  }
}

TEST(LatencyHistogramTest, QuantilesMatchTheSortedValuesWithinBucketWidth) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> distribution(12, 1.5);  // around 160 µs, long tail
  std::vector<int64_t> values;
  LatencyHistogram histogram;
  for (int i = 0; i < 100000; ++i) {
    values.push_back(static_cast<int64_t>(distribution(random)));
    histogram.Record(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999, 1.0}) {
    const int64_t exact = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    const int64_t estimate = histogram.Quantile(q);
    EXPECT_GE(estimate, exact) << q;
    EXPECT_LE(estimate - exact, exact / 128 + 1) << q;
  }
  EXPECT_EQ(histogram.count(), 100000);
  EXPECT_EQ(histogram.max(), values.back());
  EXPECT_EQ(histogram.Quantile(1.0), values.back());
}

TEST(LatencyHistogramTest, MergeAddsCounts) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 1; i <= 100; ++i) a.Record(int64_t{i} * 1000);
  for (int i = 101; i <= 200; ++i) b.Record(int64_t{i} * 1000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 200);
  EXPECT_EQ(a.max(), 200000);
  EXPECT_NEAR(a.Quantile(0.5), 100000, 100000.0 / 128);
  EXPECT_DOUBLE_EQ(a.mean(), 100500);
  EXPECT_EQ(LatencyHistogram().Quantile(0.5), 0);
}

// Ends each call after `delay` on its own thread, every `fail_every`-th as UNAVAILABLE,
// and tracks how many calls were in flight at most.
class FakeTarget : public CallTarget {
 public:
  FakeTarget(absl::Duration delay, int fail_every) : delay_(delay), fail_every_(fail_every) {}
  ~FakeTarget() override {
    for (std::thread& t : threads_) t.join();
  }

  void Start(Done done) override {
    const int n = ++calls_;
    const int now = ++in_flight_;
    int seen = max_in_flight_.load();
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([this, n, done = std::move(done)] {
      absl::SleepFor(delay_);
      --in_flight_;
      done(fail_every_ > 0 && n % fail_every_ == 0 ? "UNAVAILABLE" : "OK");
    });
  }

  int max_in_flight() const { return max_in_flight_; }

 private:
  const absl::Duration delay_;
  const int fail_every_;
  std::atomic<int> calls_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

TEST(RunLoadTest, ClosedLoopKeepsConcurrencyCallsInFlightAndCountsOutcomes) {
  FakeTarget target(absl::Milliseconds(5), 10);
  LoadOptions options;
  options.mode = LoadOptions::Mode::kClosed;
  options.concurrency = 4;
  options.warmup = absl::Milliseconds(100);
  options.duration = absl::Milliseconds(500);
  const LoadReport report = RunLoad(target, options);
  EXPECT_EQ(target.max_in_flight(), 4);
  EXPECT_EQ(report.started, report.ended);
  // At most 4 lanes × 500 ms / 5 ms calls.
  EXPECT_GT(report.ended, 20);
  EXPECT_LE(report.ended, 4 * 100 + 4);
  EXPECT_GT(report.outcomes.at("UNAVAILABLE"), 0);
  EXPECT_EQ(report.outcomes.at("OK") + report.outcomes.at("UNAVAILABLE"), report.ended);
  EXPECT_EQ(report.failures(), report.outcomes.at("UNAVAILABLE"));
  EXPECT_EQ(report.latency.count(), report.outcomes.at("OK"));
  EXPECT_GE(report.latency.Quantile(0.5), 5000000);
  EXPECT_NEAR(report.throughput(), report.ended / 0.5, 1e-9);
}

TEST(RunLoadTest, OpenLoopStartsExactlyTheScheduledCalls) {
  FakeTarget target(absl::Milliseconds(1), 0);
  LoadOptions options;
  options.mode = LoadOptions::Mode::kOpen;
  options.rate = 400;
  options.warmup = absl::Milliseconds(100);
  options.duration = absl::Milliseconds(500);
  const LoadReport report = RunLoad(target, options);
  // Calls every 2.5 ms; the window [100 ms, 600 ms) holds the ones scheduled at 100 ms to
  // 597.5 ms.
  EXPECT_EQ(report.started, 200);
  EXPECT_EQ(report.ended, 200);
  EXPECT_EQ(report.outcomes.at("OK"), 200);
  EXPECT_EQ(report.failures(), 0);
  EXPECT_GE(report.latency.Quantile(0.01), 1000000);
}

TEST(RunLoadTest, OpenLoopMeasuresFromTheScheduledTimeWhenTheTargetFallsBehind) {
  // One call at a time, 20 ms each, asked for every 5 ms: each call waits behind the
  // previous ones, and the wait is part of its latency.
  class Serial : public CallTarget {
   public:
    ~Serial() override { worker_.join(); }
    void Start(Done done) override {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(done));
    }
    void Stop() { stop_ = true; }

   private:
    void Work() {
      while (!stop_) {
        Done done;
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!queue_.empty()) {
            done = std::move(queue_.front());
            queue_.erase(queue_.begin());
          }
        }
        if (!done) {
          absl::SleepFor(absl::Milliseconds(1));
          continue;
        }
        absl::SleepFor(absl::Milliseconds(20));
        done("OK");
      }
    }
    std::mutex mu_;
    std::vector<Done> queue_;
    std::atomic<bool> stop_{false};
    std::thread worker_{[this] { Work(); }};
  } target;
  LoadOptions options;
  options.mode = LoadOptions::Mode::kOpen;
  options.rate = 200;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(200);
  options.drain = absl::Seconds(10);
  const LoadReport report = RunLoad(target, options);
  target.Stop();
  EXPECT_EQ(report.started, 40);
  EXPECT_EQ(report.ended, 40);
  // The last call, scheduled at 195 ms, ends after 40 × 20 ms = 800 ms.
  EXPECT_GE(report.latency.max(), 600000000);
  EXPECT_GE(report.latency.Quantile(0.5), 200000000);
}

TEST(FormatNanosTest, ThreeSignificantDigits) {
  EXPECT_EQ(FormatNanos(812), "812ns");
  EXPECT_EQ(FormatNanos(412345), "412us");
  EXPECT_EQ(FormatNanos(1234567), "1.23ms");
  EXPECT_EQ(FormatNanos(2500000000), "2.5s");
}

}  // namespace
}  // namespace gateway::bench
