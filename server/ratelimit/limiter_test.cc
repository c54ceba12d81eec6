#include "server/ratelimit/limiter.h"

#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "server/common/error_details.h"

namespace gateway::ratelimit {
namespace {

// A store whose answers the test gives: each Take waits until Answer or Fail.
class FakeStore : public RateLimitStore {
 public:
  struct Request {
    std::string key;
    double rate;
    int64_t burst;
    Callback done;
  };
  void Take(const std::string& key, double rate, int64_t burst, Callback done) override {
    requests.push_back({key, rate, burst, std::move(done)});
  }
  void Answer(bool allowed) {
    GcraDecision d;
    d.allowed = allowed;
    d.retry_after = absl::Milliseconds(allowed ? 0 : 400);
    d.remaining = 3;
    Pop()(d);
  }
  void Fail() { Pop()(absl::UnavailableError("redis is down")); }
  std::deque<Request> requests;

 private:
  Callback Pop() {
    Callback done = std::move(requests.front().done);
    requests.pop_front();
    return done;
  }
};

class LimiterTest : public ::testing::Test {
 protected:
  LimiterTest() : metrics_(registry_), limiter_(&metrics_, &store_, [this] { return now_; }) {}

  // The outcome of one Admit that must have decided inline.
  static absl::StatusOr<Permit> AdmitNow(const TenantQuota& quota, absl::string_view method) {
    std::optional<absl::StatusOr<Permit>> result;
    quota.Admit(method, [&result](absl::StatusOr<Permit> r) { result = std::move(r); });
    EXPECT_TRUE(result.has_value()) << "no inline decision";
    if (!result.has_value()) return absl::InternalError("no decision");
    return std::move(*result);
  }

  static int Admitted(const TenantQuota& quota, absl::string_view method, int tries) {
    int admitted = 0;
    for (int i = 0; i < tries; ++i) admitted += AdmitNow(quota, method).ok() ? 1 : 0;
    return admitted;
  }

  double Value(absl::string_view tenant, absl::string_view rule, absl::string_view which) {
    metrics::TenantMetrics::Rule& r = metrics_.ForRule(tenant, rule);
    if (which == "allowed") return r.allowed.Value();
    if (which == "limited") return r.limited.Value();
    if (which == "shadow_limited") return r.shadow_limited.Value();
    if (which == "near_limit") return r.near_limit.Value();
    if (which == "fallback") return r.fallback.Value();
    return r.inflight.Value();
  }

  static QuotaOptions Rate(double rps, int burst) {
    QuotaOptions q;
    q.tenant.requests_per_second = rps;
    q.tenant.burst = burst;
    return q;
  }

  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  prometheus::Registry registry_;
  metrics::TenantMetrics metrics_;
  FakeStore store_;
  Limiter limiter_;
};

TEST_F(LimiterTest, RefusalSaysWhoRefusedWhichRuleAndWhen) {
  auto quota = limiter_.Build("acme", Rate(10, 2), 1);
  ASSERT_TRUE(AdmitNow(*quota, "JobsService/GetRun").ok());
  ASSERT_TRUE(AdmitNow(*quota, "JobsService/GetRun").ok());
  absl::StatusOr<Permit> refused = AdmitNow(*quota, "JobsService/GetRun");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "tenant 'acme' exceeded its rate limit for JobsService/GetRun: rule 'tenant' allows "
            "10 calls/s with a burst of 2; retry in 100ms");
  EXPECT_EQ(GetRetryDelay(refused.status()), absl::Milliseconds(100));
  EXPECT_EQ(GetQuotaViolation(refused.status()),
            "tenant:acme: rule 'tenant': 10 calls/s with a burst of 2");
  EXPECT_EQ(GetErrorReason(refused.status()).reason, "TENANT_RATE_LIMITED");
  EXPECT_EQ(GetErrorReason(refused.status()).domain, kGatewayDomain);
  EXPECT_EQ(Value("acme", "tenant", "allowed"), 2);
  EXPECT_EQ(Value("acme", "tenant", "limited"), 1);
  EXPECT_EQ(Value("acme", "tenant", "near_limit"), 1);  // the second left 0 of 2
}

TEST_F(LimiterTest, FirstMatchingMethodRuleReplacesTheTenantRule) {
  QuotaOptions q = Rate(1, 1);
  q.methods.push_back({"JobsService/GetRun", {}});  // unlimited
  RuleOptions sql;
  sql.requests_per_second = 1;
  sql.burst = 3;
  q.methods.push_back({"SqlService/*", sql});
  auto quota = limiter_.Build("acme", q, 1);
  EXPECT_EQ(quota->RuleFor("JobsService/GetRun"), "JobsService/GetRun");
  EXPECT_EQ(quota->RuleFor("SqlService/ExecuteStatement"), "SqlService/*");
  EXPECT_EQ(quota->RuleFor("JobsService/SubmitRun"), "tenant");

  EXPECT_EQ(Admitted(*quota, "JobsService/GetRun", 50), 50);
  EXPECT_EQ(Admitted(*quota, "SqlService/ExecuteStatement", 10), 3);
  EXPECT_EQ(Admitted(*quota, "SqlService/GetStatement", 10), 0);  // same rule, spent
  EXPECT_EQ(Admitted(*quota, "JobsService/SubmitRun", 10), 1);
}

TEST_F(LimiterTest, ConcurrencyIsBoundedByDefault) {
  auto quota = limiter_.Build("acme", QuotaOptions(), 1);
  std::vector<Permit> held;
  for (int i = 0; i < kDefaultMaxConcurrent; ++i) {
    absl::StatusOr<Permit> permit = AdmitNow(*quota, "JobsService/WaitRun");
    ASSERT_TRUE(permit.ok()) << i;
    held.push_back(*std::move(permit));
  }
  EXPECT_EQ(GetErrorReason(AdmitNow(*quota, "JobsService/WaitRun").status()).reason,
            "TENANT_CONCURRENCY_LIMITED");
  QuotaOptions unlimited;
  unlimited.tenant.max_concurrent = 0;
  auto open = limiter_.Build("open", unlimited, 1);
  EXPECT_EQ(Admitted(*open, "JobsService/WaitRun", kDefaultMaxConcurrent + 10),
            kDefaultMaxConcurrent + 10);
}

TEST_F(LimiterTest, PollsArePacedByTheRateWithoutASlot) {
  QuotaOptions q = Rate(10, 2);
  q.tenant.max_concurrent = 1;
  auto quota = limiter_.Build("acme", q, 1);
  absl::StatusOr<Permit> call = AdmitNow(*quota, "JobsService/WaitRun");  // 1 of the burst
  ASSERT_TRUE(call.ok());
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 3; ++i) {
    quota->Pace("JobsService/WaitRun", [&waits](absl::Duration wait) { waits.push_back(wait); });
  }
  // The burst's second token goes at once (the call's slot is not needed again); then the
  // poll must wait a tenth of a second for the next token.
  ASSERT_EQ(waits.size(), 3u);
  EXPECT_EQ(waits[0], absl::ZeroDuration());
  EXPECT_EQ(waits[1], absl::Milliseconds(100));
  EXPECT_EQ(waits[2], absl::Milliseconds(100));
  EXPECT_EQ(metrics_.ForRule("acme", "tenant").paced.Value(), 2);
  now_ += absl::Milliseconds(100);
  absl::Duration after = absl::InfiniteDuration();
  quota->Pace("JobsService/WaitRun", [&after](absl::Duration wait) { after = wait; });
  EXPECT_EQ(after, absl::ZeroDuration());
  // Polls count toward the rate calls are admitted by.
  EXPECT_EQ(AdmitNow(*quota, "JobsService/GetRun").status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(LimiterTest, ConcurrencySlotsAreHeldByPermitsAndFreedWithThem) {
  QuotaOptions q;
  q.tenant.max_concurrent = 2;
  auto quota = limiter_.Build("acme", q, 1);
  absl::StatusOr<Permit> first = AdmitNow(*quota, "JobsService/WaitRun");
  absl::StatusOr<Permit> second = AdmitNow(*quota, "JobsService/WaitRun");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Value("acme", "tenant", "inflight"), 2);
  absl::StatusOr<Permit> third = AdmitNow(*quota, "JobsService/WaitRun");
  ASSERT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetErrorReason(third.status()).reason, "TENANT_CONCURRENCY_LIMITED");
  EXPECT_EQ(third.status().message(),
            "tenant 'acme' has 2 calls in flight for JobsService/WaitRun, the most rule 'tenant' "
            "allows; retry when one ends");
  *first = Permit();  // the call ended
  EXPECT_EQ(Value("acme", "tenant", "inflight"), 1);
  EXPECT_TRUE(AdmitNow(*quota, "JobsService/WaitRun").ok());
}

TEST_F(LimiterTest, RateRefusalGivesBackTheConcurrencySlot) {
  QuotaOptions q = Rate(1, 1);
  q.tenant.max_concurrent = 5;
  auto quota = limiter_.Build("acme", q, 1);
  absl::StatusOr<Permit> held = AdmitNow(*quota, "SqlService/ExecuteStatement");
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(AdmitNow(*quota, "SqlService/ExecuteStatement").ok());
  EXPECT_EQ(Value("acme", "tenant", "inflight"), 1);
}

TEST_F(LimiterTest, ShadowRulesAdmitAndCountWhatTheyWouldRefuse) {
  QuotaOptions q = Rate(1, 2);
  q.tenant.max_concurrent = 1;
  q.tenant.shadow = true;
  auto quota = limiter_.Build("acme", q, 1);
  std::vector<Permit> permits;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Permit> p = AdmitNow(*quota, "JobsService/GetRun");
    ASSERT_TRUE(p.ok()) << i;
    permits.push_back(*std::move(p));
  }
  // Call 1 passes both limits; 2 is over the concurrency cap; 3–5 over both.
  EXPECT_EQ(Value("acme", "tenant", "allowed"), 1);
  EXPECT_EQ(Value("acme", "tenant", "shadow_limited"), 4);
  EXPECT_EQ(Value("acme", "tenant", "limited"), 0);
  EXPECT_EQ(Value("acme", "tenant", "inflight"), 5);
}

TEST_F(LimiterTest, GlobalRulesAskTheStoreAndFallBackToALocalShare) {
  QuotaOptions q = Rate(30, 9);
  q.tenant.global = true;
  auto quota = limiter_.Build("acme", q, /*replica_count=*/3);
  std::vector<absl::StatusOr<Permit>> results;
  auto collect = [&results](absl::StatusOr<Permit> r) { results.push_back(std::move(r)); };
  quota->Admit("JobsService/GetRun", collect);
  quota->Admit("JobsService/GetRun", collect);
  ASSERT_EQ(store_.requests.size(), 2u);
  EXPECT_EQ(store_.requests[0].key, "rl:acme:tenant");
  EXPECT_EQ(store_.requests[0].rate, 30);
  EXPECT_EQ(store_.requests[0].burst, 9);
  EXPECT_TRUE(results.empty()) << "decided before the store answered";
  store_.Answer(true);
  store_.Answer(false);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(GetRetryDelay(results[1].status()), absl::Milliseconds(400));

  // Store down: each replica takes a third of the rate and the burst (10/s, burst 3).
  results.clear();
  for (int i = 0; i < 5; ++i) {
    quota->Admit("JobsService/GetRun", collect);
    store_.Fail();
  }
  ASSERT_EQ(results.size(), 5u);
  int admitted = 0;
  for (auto& r : results) admitted += r.ok() ? 1 : 0;
  EXPECT_EQ(admitted, 3);
  EXPECT_EQ(Value("acme", "tenant", "fallback"), 5);
}

TEST_F(LimiterTest, WithoutAStoreGlobalRulesAreTheLocalShareAndCountedAsFallbacks) {
  Limiter local(&metrics_, /*store=*/nullptr, [this] { return now_; });
  QuotaOptions q = Rate(20, 4);
  q.tenant.global = true;
  auto quota = local.Build("solo", q, /*replica_count=*/2);
  EXPECT_EQ(Admitted(*quota, "JobsService/GetRun", 5), 2);  // burst 4 / 2 replicas
  EXPECT_EQ(Value("solo", "tenant", "fallback"), 5);
  now_ += absl::Milliseconds(100);  // 10/s each
  EXPECT_EQ(Admitted(*quota, "JobsService/GetRun", 5), 1);
}

TEST_F(LimiterTest, ReloadKeepsTheStateOfUnchangedRulesOnly) {
  auto before = limiter_.Build("acme", Rate(1, 2), 1);
  auto other = limiter_.Build("beta", Rate(1, 2), 1);
  EXPECT_EQ(Admitted(*before, "JobsService/GetRun", 5), 2);
  EXPECT_EQ(Admitted(*other, "JobsService/GetRun", 5), 2);

  auto unchanged = limiter_.Build("acme", Rate(1, 2), 1);
  EXPECT_EQ(Admitted(*unchanged, "JobsService/GetRun", 5), 0) << "the bucket was reset";
  auto changed = limiter_.Build("beta", Rate(1, 4), 1);
  EXPECT_EQ(Admitted(*changed, "JobsService/GetRun", 5), 4);
}

TEST_F(LimiterTest, ReloadKeepsInFlightSlots) {
  QuotaOptions q;
  q.tenant.max_concurrent = 1;
  auto before = limiter_.Build("acme", q, 1);
  absl::StatusOr<Permit> held = AdmitNow(*before, "JobsService/WaitRun");
  ASSERT_TRUE(held.ok());
  auto after = limiter_.Build("acme", q, 1);
  EXPECT_FALSE(AdmitNow(*after, "JobsService/WaitRun").ok());
  *held = Permit();
  EXPECT_TRUE(AdmitNow(*after, "JobsService/WaitRun").ok());
}

TEST_F(LimiterTest, TenantsDoNotShareBuckets) {
  auto a = limiter_.Build("a", Rate(1, 1), 1);
  auto b = limiter_.Build("b", Rate(1, 1), 1);
  EXPECT_EQ(Admitted(*a, "JobsService/GetRun", 3), 1);
  EXPECT_EQ(Admitted(*b, "JobsService/GetRun", 3), 1);
  now_ += absl::Seconds(1);
  EXPECT_EQ(Admitted(*a, "JobsService/GetRun", 3), 1);
}

}  // namespace
}  // namespace gateway::ratelimit
