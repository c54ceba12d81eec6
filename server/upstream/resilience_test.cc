#include "server/upstream/resilience.h"

#include <random>

#include "gtest/gtest.h"

namespace gateway::upstream {
namespace {

using State = CircuitBreaker::State;

const absl::Time kT0 = absl::FromUnixSeconds(1'767'225'600);

CircuitBreakerOptions Breaker(int threshold, int open_seconds, int probes) {
  CircuitBreakerOptions options;
  options.failure_threshold = threshold;
  options.open_seconds = open_seconds;
  options.half_open_probes = probes;
  return options;
}

TEST(CircuitBreakerTest, OpensAfterThresholdAndRecoversThroughHalfOpen) {
  CircuitBreaker breaker(Breaker(3, 30, 1));
  EXPECT_EQ(breaker.state(kT0), State::kClosed);
  EXPECT_FALSE(breaker.OnFailure(false, kT0));
  EXPECT_FALSE(breaker.OnFailure(false, kT0));
  EXPECT_TRUE(breaker.OnFailure(false, kT0));  // the third consecutive failure opens it
  EXPECT_EQ(breaker.state(kT0), State::kOpen);

  const CircuitBreaker::Admission refused = breaker.Admit(kT0 + absl::Seconds(10));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_in, absl::Seconds(20));

  const absl::Time later = kT0 + absl::Seconds(30);
  EXPECT_EQ(breaker.state(later), State::kHalfOpen);
  const CircuitBreaker::Admission probe = breaker.Admit(later);
  EXPECT_TRUE(probe.allowed);
  EXPECT_TRUE(probe.probe);
  EXPECT_FALSE(breaker.Admit(later).allowed);  // one probe at a time
  breaker.OnSuccess(true);
  EXPECT_EQ(breaker.state(later), State::kClosed);
  EXPECT_TRUE(breaker.Admit(later).allowed);
}

TEST(CircuitBreakerTest, FailedProbeOpensAgain) {
  CircuitBreaker breaker(Breaker(1, 5, 1));
  breaker.OnFailure(false, kT0);
  const absl::Time later = kT0 + absl::Seconds(5);
  ASSERT_TRUE(breaker.Admit(later).probe);
  EXPECT_TRUE(breaker.OnFailure(true, later));
  EXPECT_EQ(breaker.state(later + absl::Seconds(4)), State::kOpen);
  EXPECT_EQ(breaker.state(later + absl::Seconds(5)), State::kHalfOpen);
}

TEST(CircuitBreakerTest, SuccessResetsTheCountAndLateOutcomesAreIgnored) {
  CircuitBreaker breaker(Breaker(2, 5, 1));
  breaker.OnFailure(false, kT0);
  breaker.OnSuccess(false);
  EXPECT_EQ(breaker.consecutive_failures(), 0);
  EXPECT_FALSE(breaker.OnFailure(false, kT0));
  EXPECT_TRUE(breaker.OnFailure(false, kT0));
  // A call admitted before it opened succeeds late: the breaker stays open.
  breaker.OnSuccess(false);
  EXPECT_EQ(breaker.state(kT0), State::kOpen);
  // A probe released unsent frees its slot.
  const absl::Time later = kT0 + absl::Seconds(5);
  ASSERT_TRUE(breaker.Admit(later).probe);
  breaker.Release(true);
  EXPECT_TRUE(breaker.Admit(later).probe);
}

TEST(RetryBudgetTest, MinimumConcurrencyThenPercentOfCalls) {
  RetryOptions options;
  options.budget_percent = 20;
  options.min_retry_concurrency = 3;
  RetryBudget budget(options);
  for (int i = 0; i < 10; ++i) budget.CallStarted();
  EXPECT_TRUE(budget.TryStartRetry());
  EXPECT_TRUE(budget.TryStartRetry());
  EXPECT_TRUE(budget.TryStartRetry());
  EXPECT_FALSE(budget.TryStartRetry());  // 20% of 10 is 2; the minimum of 3 is spent
  for (int i = 0; i < 10; ++i) budget.CallStarted();
  EXPECT_TRUE(budget.TryStartRetry());  // 20% of 20 is 4
  EXPECT_FALSE(budget.TryStartRetry());
  budget.RetryFinished();
  EXPECT_TRUE(budget.TryStartRetry());
}

TEST(RetryWaitTest, RetryAfterIsHonouredWithUpToHalfMoreJitter) {
  RetryOptions options;
  std::mt19937_64 random(7);
  for (int i = 0; i < 200; ++i) {
    const absl::Duration wait = *RetryWait(0, absl::Seconds(2), options, random);
    EXPECT_GE(wait, absl::Seconds(2));
    EXPECT_LE(wait, absl::Seconds(3));
  }
  options.max_retry_after_seconds = 60;
  EXPECT_FALSE(RetryWait(0, absl::Seconds(61), options, random).has_value());
}

TEST(RetryWaitTest, BackoffCeilingGrowsAndIsCapped) {
  RetryOptions options;
  options.base_backoff_ms = 100;
  options.max_backoff_ms = 1000;
  std::mt19937_64 random(7);
  for (int retry = 0; retry < 6; ++retry) {
    const absl::Duration ceiling = absl::Milliseconds(std::min(1000, 100 << retry));
    absl::Duration longest = absl::ZeroDuration();
    for (int i = 0; i < 500; ++i) {
      const absl::Duration wait = *RetryWait(retry, absl::nullopt, options, random);
      EXPECT_GE(wait, absl::ZeroDuration());
      EXPECT_LE(wait, ceiling);
      longest = std::max(longest, wait);
    }
    // Full jitter spreads over the whole range: the longest of 500 draws nears the ceiling.
    EXPECT_GT(longest, ceiling * 0.9) << "retry " << retry;
  }
}

}  // namespace
}  // namespace gateway::upstream
