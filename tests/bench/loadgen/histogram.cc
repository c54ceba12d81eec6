#include "tests/bench/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace gateway::bench {
namespace {

// Values below 2^8 have a bucket each; above, each power of two is split into 128 buckets.
constexpr int kSubBits = 7;
constexpr int64_t kSubBuckets = int64_t{1} << kSubBits;
constexpr int64_t kLinear = kSubBuckets * 2;
constexpr int kMaxBits = 40;
constexpr int64_t kMaxValue = (int64_t{1} << kMaxBits) - 1;
constexpr int kBuckets = kLinear + (kMaxBits - kSubBits - 1) * kSubBuckets;

int HighestBit(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

int LatencyHistogram::BucketOf(int64_t nanos) {
  const int64_t v = std::clamp<int64_t>(nanos, 0, kMaxValue);
  if (v < kLinear) return static_cast<int>(v);
  // v >> shift falls in [128, 256): its top 8 bits, the leading one included.
  const int shift = HighestBit(static_cast<uint64_t>(v)) - kSubBits;
  return static_cast<int>(kLinear + (shift - 1) * kSubBuckets + ((v >> shift) - kSubBuckets));
}

int64_t LatencyHistogram::UpperBound(int bucket) {
  if (bucket < kLinear) return bucket;
  const int shift = static_cast<int>((bucket - kLinear) / kSubBuckets) + 1;
  const int64_t top = (bucket - kLinear) % kSubBuckets + kSubBuckets;
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::Record(int64_t nanos) {
  ++counts_[BucketOf(nanos)];
  ++count_;
  sum_ += std::max<int64_t>(nanos, 0);
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

int64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_)));
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperBound(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace gateway::bench
