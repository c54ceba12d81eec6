#include "server/upstream/budget.h"

#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/error_details.h"

namespace gateway::upstream {
namespace {

using ::testing::HasSubstr;

// A budget on a manual clock whose timers run when the test moves the clock.
class BudgetTest : public ::testing::Test {
 protected:
  std::unique_ptr<Budget> Make(double rps, int burst, PacingOptions pacing = {}) {
    return std::make_unique<Budget>(
        "ws", rps, burst, pacing,
        [this](absl::Duration delay, std::function<void()> fn) {
          timers_.emplace(now_ + delay, std::move(fn));
        },
        [this] { return now_; });
  }

  // Moves the clock to `until`, running each timer at its time.
  void RunUntil(absl::Time until) {
    while (!timers_.empty() && timers_.begin()->first <= until) {
      auto first = timers_.begin();
      now_ = std::max(now_, first->first);
      std::function<void()> fn = std::move(first->second);
      timers_.erase(first);
      fn();
    }
    now_ = until;
  }
  void Advance(absl::Duration d) { RunUntil(now_ + d); }

  // Asks for a slot; the outcome lands in `*sent` / `*refused`.
  void Ask(Budget& budget, const std::string& tenant, double weight, absl::Duration deadline,
           int* sent, std::vector<absl::Status>* refused = nullptr,
           const std::string& pacing_class = "jobs.runs.get") {
    Budget::Request request;
    request.pacing_class = pacing_class;
    request.tenant = tenant;
    request.weight = weight;
    request.deadline = now_ + deadline;
    budget.Acquire(std::move(request), [sent, refused](absl::Status status) {
      if (status.ok()) {
        ++*sent;
      } else if (refused != nullptr) {
        refused->push_back(std::move(status));
      }
    });
  }

  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  std::multimap<absl::Time, std::function<void()>> timers_;
};

TEST_F(BudgetTest, RequestsAreSpreadAtTheRateNotReleasedTogether) {
  auto budget = Make(10, 1);
  int sent = 0;
  for (int i = 0; i < 20; ++i) Ask(*budget, "t", 1, absl::Seconds(30), &sent);
  EXPECT_EQ(sent, 1) << "the workspace's burst is 1";
  // One more every 100 ms, never two at once.
  for (int step = 1; step <= 19; ++step) {
    Advance(absl::Milliseconds(100));
    EXPECT_EQ(sent, 1 + step) << "after " << step * 100 << " ms";
  }
}

TEST_F(BudgetTest, ARequestThatCannotGoBeforeItsDeadlineIsRefusedAtOnceWithWhenBudgetFrees) {
  auto budget = Make(10, 1);
  int sent = 0;
  std::vector<absl::Status> refused;
  for (int i = 0; i < 10; ++i) Ask(*budget, "t", 1, absl::Seconds(30), &sent, &refused);
  // Nine wait, 100 ms apart: the tenth's turn is a second away.
  Ask(*budget, "t", 1, absl::Milliseconds(500), &sent, &refused);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetErrorReason(refused[0]).reason, "WORKSPACE_RATE_LIMITED");
  const absl::optional<absl::Duration> retry = GetRetryDelay(refused[0]);
  ASSERT_TRUE(retry.has_value());
  EXPECT_GE(*retry, absl::Milliseconds(900));
  EXPECT_LE(*retry, absl::Milliseconds(1100));
  EXPECT_THAT(refused[0].message(), HasSubstr("could not be sent before its deadline"));
  EXPECT_THAT(refused[0].message(), HasSubstr("jobs.runs.get"));
}

TEST_F(BudgetTest, AThrottledRequestGoesInTheNextSlotAheadOfItsTenantsQueue) {
  auto budget = Make(10, 1);
  int sent = 0;
  for (int i = 0; i < 5; ++i) Ask(*budget, "t", 1, absl::Seconds(30), &sent);
  ASSERT_EQ(sent, 1);
  Budget::Request again;
  again.pacing_class = "jobs.runs.get";
  again.tenant = "t";
  again.deadline = now_ + absl::Seconds(30);
  again.retry = true;
  int retried = 0;
  budget->Acquire(std::move(again), [&](absl::Status status) { retried += status.ok(); });
  EXPECT_EQ(retried, 0) << "not on a borrowed slot";
  Advance(absl::Milliseconds(100));
  EXPECT_EQ(retried, 1);
  EXPECT_EQ(sent, 1) << "the retry went first";
}

TEST_F(BudgetTest, ARequestIsSentWithTimeLeftForItsAnswer) {
  auto budget = Make(10, 1);
  int sent = 0;
  std::vector<absl::Status> refused;
  Ask(*budget, "t", 1, absl::Seconds(30), &sent, &refused);
  // Its turn is 100 ms away, and 100 ms is all it has: no time would be left to answer.
  Ask(*budget, "t", 1, absl::Milliseconds(100), &sent, &refused);
  EXPECT_EQ(sent, 1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(BudgetTest, ATenantsQueueIsBounded) {
  PacingOptions pacing;
  pacing.queue_per_tenant = 5;
  auto budget = Make(10, 1, pacing);
  int sent = 0;
  std::vector<absl::Status> refused;
  for (int i = 0; i < 7; ++i) Ask(*budget, "t", 1, absl::Seconds(30), &sent, &refused);
  EXPECT_EQ(sent, 1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_THAT(refused[0].message(), HasSubstr("5 requests waiting"));
  int other = 0;
  Ask(*budget, "u", 1, absl::Seconds(30), &other, &refused);
  EXPECT_EQ(refused.size(), 1u) << "another tenant's queue is its own";
}

TEST_F(BudgetTest, SaturatingTenantsShareByWeight) {
  auto budget = Make(100, 1);
  std::map<std::string, int> sent;
  const std::vector<std::pair<std::string, double>> tenants = {{"a", 1}, {"b", 1}, {"c", 2}};
  for (int i = 0; i < 1000; ++i) {
    for (const auto& [tenant, weight] : tenants) {
      Ask(*budget, tenant, weight, absl::Seconds(60), &sent[tenant]);
    }
  }
  Advance(absl::Seconds(10));  // 1,000 slots of 3,000 requests
  const int total = sent["a"] + sent["b"] + sent["c"];
  EXPECT_NEAR(total, 1000, 5);
  EXPECT_NEAR(sent["a"], 250, 5);
  EXPECT_NEAR(sent["b"], 250, 5);
  EXPECT_NEAR(sent["c"], 500, 5);
}

// Open loop with deadlines, as callers do: each tenant offers 1.5 × the whole rate, and
// what cannot be sent in time is refused; the shares of what is sent still follow the
// weights.
TEST_F(BudgetTest, SharesFollowTheWeightsWhenEveryTenantOffersMoreThanTheRate) {
  auto budget = Make(80, 10);
  std::map<std::string, int> sent;
  const std::vector<std::pair<std::string, double>> tenants = {{"a", 1}, {"b", 1}, {"c", 2}};
  for (int tick = 0; tick < 20 * 120; ++tick) {  // 20 s, 120 requests/s each
    for (const auto& [tenant, weight] : tenants) {
      Ask(*budget, tenant, weight, absl::Seconds(5), &sent[tenant]);
    }
    Advance(absl::Seconds(1) / 120);
  }
  const double total = sent["a"] + sent["b"] + sent["c"];
  EXPECT_NEAR(total, 80 * 20, 40);
  EXPECT_NEAR(sent["a"] / total, 0.25, 0.025);
  EXPECT_NEAR(sent["b"] / total, 0.25, 0.025);
  EXPECT_NEAR(sent["c"] / total, 0.50, 0.05);
}

// Against a Databricks that limits the endpoint with a token bucket (80/s, burst 20) and
// answers 429 past it: three tenants of weights 1, 1, 2, each offering 120 requests/s with
// 5 s deadlines, throttled requests retried after their Retry-After. The budget learns the
// rate, and what Databricks accepts is shared by the weights, throttling kept low.
TEST_F(BudgetTest, SharesFollowTheWeightsWhileTheRateIsLearned) {
  auto budget = Make(1000, 100);
  const absl::Time start = now_;
  double tokens = 20;
  absl::Time refilled = now_;
  std::mt19937 random(7);
  std::map<std::string, int> accepted;
  int answers = 0;
  int throttled_answers = 0;
  std::function<void(const std::string&, double, absl::Time, bool)> ask =
      [&](const std::string& tenant, double weight, absl::Time deadline, bool retry) {
        Budget::Request request;
        request.pacing_class = "jobs.runs.get";
        request.tenant = tenant;
        request.weight = weight;
        request.deadline = deadline;
        request.retry = retry;
        budget->Acquire(std::move(request), [&, tenant, weight, deadline](absl::Status status) {
          if (!status.ok()) return;
          const absl::Time sent = now_;
          timers_.emplace(now_ + absl::Milliseconds(2), [&, tenant, weight, deadline, sent] {
            tokens = std::min(20.0, tokens + absl::ToDoubleSeconds(now_ - refilled) * 80);
            refilled = now_;
            const bool throttled = tokens < 1;
            if (!throttled) tokens -= 1;
            budget->OnAnswer("jobs.runs.get", sent, throttled, absl::Seconds(1));
            ++answers;
            if (!throttled) {
              if (now_ >= start + absl::Seconds(10)) ++accepted[tenant];
              return;
            }
            ++throttled_answers;
            const absl::Duration wait =
                absl::Milliseconds(std::uniform_int_distribution<int>(1000, 1500)(random));
            if (now_ + wait < deadline) {
              timers_.emplace(now_ + wait, [&, tenant, weight, deadline] {
                ask(tenant, weight, deadline, true);
              });
            }
          });
        });
      };
  const std::vector<std::pair<std::string, double>> tenants = {{"a", 1}, {"b", 1}, {"c", 2}};
  for (int tick = 0; tick < 40 * 120; ++tick) {  // 40 s
    for (const auto& [tenant, weight] : tenants)
      ask(tenant, weight, now_ + absl::Seconds(5), false);
    Advance(absl::Seconds(1) / 120);
  }
  Advance(absl::Seconds(10));
  const double total = accepted["a"] + accepted["b"] + accepted["c"];
  EXPECT_GT(total / 30, 0.9 * 80) << "requests/s Databricks accepted";
  EXPECT_NEAR(accepted["a"] / total, 0.25, 0.0125);
  EXPECT_NEAR(accepted["b"] / total, 0.25, 0.0125);
  EXPECT_NEAR(accepted["c"] / total, 0.50, 0.025);
  EXPECT_LT(static_cast<double>(throttled_answers) / answers, 0.05);
}

TEST_F(BudgetTest, WhatAnIdleTenantLeavesGoesToTheOthers) {
  auto budget = Make(100, 1);
  int a = 0;
  int b = 0;
  for (int i = 0; i < 600; ++i) Ask(*budget, "a", 1, absl::Seconds(60), &a);
  Ask(*budget, "b", 1, absl::Seconds(60), &b);
  Advance(absl::Seconds(5));
  EXPECT_EQ(b, 1);
  EXPECT_NEAR(a, 500, 2) << "a alone gets the whole rate";
}

TEST_F(BudgetTest, AQuietTenantWithinItsShareGoesAtOnceBesideAFlood) {
  auto budget = Make(100, 10);
  int flood = 0;
  int quiet = 0;
  for (int i = 0; i < 2000; ++i) Ask(*budget, "flood", 1, absl::Seconds(60), &flood);
  for (int i = 0; i < 10; ++i) {
    Advance(absl::Milliseconds(200));
    const int before = quiet;
    Ask(*budget, "quiet", 1, absl::Seconds(60), &quiet);
    EXPECT_EQ(quiet, before + 1) << "request " << i << " waited";
  }
  // The quiet tenant's requests took slots of the flood's, not more than the rate.
  EXPECT_LE(flood + quiet, 100 * 2 + 3);
}

TEST_F(BudgetTest, GradientLearnsTheRateDatabricksAccepts) {
  auto budget = Make(1000, 100);
  // 200 answers a second, of which Databricks accepts 150.
  for (int tick = 0; tick < 200; ++tick) {  // two seconds
    budget->OnAnswer("jobs.runs.get", now_, false, absl::nullopt);
    budget->OnAnswer("jobs.runs.get", now_, tick % 2 == 1, absl::Seconds(1));
    Advance(absl::Milliseconds(10));
  }
  const double learned = budget->rate("jobs.runs.get");
  EXPECT_GT(learned, 130);
  EXPECT_LT(learned, 150) << "what Databricks accepts, less a little headroom";
}

TEST_F(BudgetTest, AimdDecreasesOncePerRoundAndIncreasesWhileLimited) {
  PacingOptions pacing;
  pacing.controller = "aimd";
  auto budget = Make(100, 1, pacing);
  const absl::Time before = now_;
  Advance(absl::Milliseconds(10));
  budget->OnAnswer("jobs.runs.get", before, true, absl::nullopt);
  budget->OnAnswer("jobs.runs.get", before, true, absl::nullopt);
  EXPECT_DOUBLE_EQ(budget->rate("jobs.runs.get"), 100) << "two 429s may be passing ones";
  budget->OnAnswer("jobs.runs.get", before, true, absl::nullopt);
  EXPECT_DOUBLE_EQ(budget->rate("jobs.runs.get"), 90);
  // Another 429 of a request sent before the decrease is the same round.
  budget->OnAnswer("jobs.runs.get", before, true, absl::nullopt);
  EXPECT_DOUBLE_EQ(budget->rate("jobs.runs.get"), 90);
  Advance(absl::Milliseconds(10));
  budget->OnAnswer("jobs.runs.get", now_, true, absl::nullopt);
  EXPECT_DOUBLE_EQ(budget->rate("jobs.runs.get"), 81);
  // While requests wait, +1/s for each second of answers.
  int sent = 0;
  for (int i = 0; i < 500; ++i) Ask(*budget, "t", 1, absl::Seconds(60), &sent);
  for (int i = 0; i < 20; ++i) {
    Advance(absl::Milliseconds(100));
    budget->OnAnswer("jobs.runs.get", now_, false, absl::nullopt);
  }
  EXPECT_NEAR(budget->rate("jobs.runs.get"), 83, 0.2);
}

// Databricks may throttle a request for reasons other than the rate (another client of the
// workspace, a busy moment): one 429 among many accepted answers leaves the rate alone.
TEST_F(BudgetTest, APassing429DoesNotLowerTheRate) {
  for (const char* controller : {"gradient", "aimd"}) {
    PacingOptions pacing;
    pacing.controller = controller;
    auto budget = Make(100, 1, pacing);
    for (int i = 0; i < 100; ++i) {
      budget->OnAnswer("jobs.runs.submit", now_, i % 40 == 39, absl::Seconds(1));
      Advance(absl::Milliseconds(25));
    }
    EXPECT_DOUBLE_EQ(budget->rate("jobs.runs.submit"), 100) << controller;
  }
}

TEST_F(BudgetTest, WhenEveryRequestIsThrottledTheClassCoolsDownForTheRetryAfter) {
  auto budget = Make(100, 1);
  int sent = 0;
  Ask(*budget, "t", 1, absl::Seconds(60), &sent);
  // Throttled for a whole second: Databricks refuses everything.
  for (int i = 0; i <= 10; ++i) {
    budget->OnAnswer("jobs.runs.get", now_, true, absl::Seconds(5));
    Advance(absl::Milliseconds(100));
  }
  const int before = sent;
  for (int i = 0; i < 10; ++i) Ask(*budget, "t", 1, absl::Seconds(60), &sent);
  Advance(absl::Seconds(3));
  EXPECT_EQ(sent, before) << "nothing is sent while the class cools down";
  Advance(absl::Seconds(3));
  EXPECT_GT(sent, before) << "sending resumes after the Retry-After";
  // Other endpoints are limited on their own.
  int other = 0;
  Ask(*budget, "t", 1, absl::Seconds(60), &other, nullptr, "jobs.runs.submit");
  EXPECT_EQ(other, 1);
}

// One 429 after an idle spell is not "Databricks refuses everything": no cool-down, and a
// long Retry-After cools an endpoint that is refused entirely down for at most
// pacing.max_cool_down_seconds.
TEST_F(BudgetTest, OnlyAnEndpointRefusedEntirelyCoolsDownAndNotForLong) {
  PacingOptions pacing;
  pacing.max_cool_down_seconds = 5;
  auto budget = Make(100, 1, pacing);
  int sent = 0;
  Ask(*budget, "t", 1, absl::Seconds(60), &sent);
  Advance(absl::Minutes(10));
  budget->OnAnswer("jobs.runs.get", now_, true, absl::Hours(1));
  Ask(*budget, "t", 1, absl::Seconds(60), &sent);
  EXPECT_EQ(sent, 2) << "one 429 closed the endpoint";

  for (int i = 0; i <= 10; ++i) {
    budget->OnAnswer("jobs.runs.get", now_, true, absl::Hours(1));
    Advance(absl::Milliseconds(100));
  }
  Ask(*budget, "t", 1, absl::Seconds(60), &sent);
  Advance(absl::Seconds(4));
  EXPECT_EQ(sent, 2) << "cooling down";
  Advance(absl::Seconds(2));
  EXPECT_EQ(sent, 3) << "the cool-down is capped at 5 s, not the hour Databricks asked";
}

// A call that would have to wait with no time left to be answered is DEADLINE_EXCEEDED,
// not a refusal inviting a retry.
TEST_F(BudgetTest, ACallWithNoTimeLeftToWaitIsDeadlineExceeded) {
  auto budget = Make(1, 1);
  int sent = 0;
  std::vector<absl::Status> refused;
  Ask(*budget, "t", 1, absl::Seconds(60), &sent, &refused);
  Ask(*budget, "t", 1, absl::Milliseconds(10), &sent, &refused);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(sent, 1);
}

TEST_F(BudgetTest, TheWorkspaceLimitBoundsEveryClassTogether) {
  auto budget = Make(10, 1);
  int get = 0;
  int submit = 0;
  for (int i = 0; i < 20; ++i) {
    Ask(*budget, "t", 1, absl::Seconds(60), &get, nullptr, "jobs.runs.get");
    Ask(*budget, "t", 1, absl::Seconds(60), &submit, nullptr, "jobs.runs.submit");
  }
  Advance(absl::Seconds(1));
  EXPECT_LE(get + submit, 12);
  EXPECT_GE(get + submit, 10);
}

}  // namespace
}  // namespace gateway::upstream
