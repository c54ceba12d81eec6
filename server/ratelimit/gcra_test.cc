#include "server/ratelimit/gcra.h"

#include <algorithm>
#include <cmath>

#include "gtest/gtest.h"

namespace gateway::ratelimit {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST(GcraTest, BurstPassesAtOnceThenOneIntervalMustPass) {
  Gcra gcra(/*rate=*/10, /*burst=*/3);
  for (int i = 0; i < 3; ++i) {
    GcraDecision d = gcra.Take(kStart);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 2 - i);
  }
  GcraDecision refused = gcra.Take(kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(100));
  EXPECT_FALSE(gcra.Take(kStart + absl::Milliseconds(99)).allowed);
  EXPECT_TRUE(gcra.Take(kStart + absl::Milliseconds(100)).allowed);
}

TEST(GcraTest, RefusalsDoNotConsumeTheBucket) {
  Gcra gcra(1, 1);
  ASSERT_TRUE(gcra.Take(kStart).allowed);
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(gcra.Take(kStart + absl::Milliseconds(i)).allowed);
  EXPECT_TRUE(gcra.Take(kStart + absl::Seconds(1)).allowed);
}

// Over any interval t, at most burst + rate·t calls pass, and a caller that keeps trying
// gets that many (to within one).
TEST(GcraTest, AdmitsBurstPlusRateTimesElapsedUnderConstantPressure) {
  const double rate = 37.5;
  const int burst = 12;
  Gcra gcra(rate, burst);
  int admitted = 0;
  const absl::Duration step = absl::Microseconds(700);
  absl::Time now = kStart;
  for (int i = 0; i < 20'000; ++i, now += step) {
    if (gcra.Take(now).allowed) ++admitted;
    const double elapsed = absl::ToDoubleSeconds(now - kStart);
    const double bound = burst + rate * elapsed;
    ASSERT_LE(admitted, std::floor(bound) + 1e-9) << "at " << elapsed << " s";
    const double attempts = i + 1;
    ASSERT_GE(admitted, std::min(attempts, std::floor(bound)) - 1) << "at " << elapsed << " s";
  }
}

TEST(GcraTest, IdleTimeRefillsOnlyUpToTheBurst) {
  Gcra gcra(100, 5);
  ASSERT_TRUE(gcra.Take(kStart).allowed);
  const absl::Time later = kStart + absl::Hours(1);
  int admitted = 0;
  while (gcra.Take(later).allowed) ++admitted;
  EXPECT_EQ(admitted, 5);
}

}  // namespace
}  // namespace gateway::ratelimit
