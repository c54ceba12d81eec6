// A latency histogram with log-linear buckets: every value from 0 to 2^40 ns (18 minutes)
// is kept within 1/128 (0.8 %) of its true value, in a fixed array of counters, so a
// recording costs an index computation and an increment and percentiles are exact up to
// the bucket width. Not thread-safe: one per recording thread, merged at the end.
#ifndef TESTS_BENCH_LOADGEN_HISTOGRAM_H_
#define TESTS_BENCH_LOADGEN_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace gateway::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Records one value in nanoseconds; values above the range are counted at its top.
  void Record(int64_t nanos);
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  int64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The value at quantile `q` in [0, 1]: the upper bound of the bucket holding the
  // ceil(q × count)-th smallest value, never above the largest value recorded. 0 when empty.
  int64_t Quantile(double q) const;

  // The bucket of a value and the largest value a bucket holds (exposed for tests).
  static int BucketOf(int64_t nanos);
  static int64_t UpperBound(int bucket);

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t max_ = 0;
};

}  // namespace gateway::bench

#endif  // TESTS_BENCH_LOADGEN_HISTOGRAM_H_
