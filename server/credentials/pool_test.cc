#include "server/credentials/pool.h"

#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "server/common/error_details.h"

namespace gateway::credentials {
namespace {

using upstream::Authorizer;

// Holds requests until the test answers them; timers never fire by themselves.
class FakeHttpClient : public upstream::HttpClient {
 public:
  void Send(upstream::HttpRequest request, upstream::HttpCallback done) override {
    sent.emplace_back(std::move(request), std::move(done));
  }
  void RunAfter(absl::Duration, std::function<void()>) override {}

  void Answer(int status, std::string body) {
    upstream::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    auto done = std::move(sent.front().second);
    sent.pop_front();
    done(response);
  }
  std::deque<std::pair<upstream::HttpRequest, upstream::HttpCallback>> sent;
};

class PoolTest : public ::testing::Test {
 protected:
  PoolTest() : metrics_(registry_) {}

  std::shared_ptr<CredentialPool> Start(std::vector<CredentialOptions> credentials) {
    CredentialPoolOptions options;
    options.name = "etl";
    options.workspace = "prod";
    options.credentials = std::move(credentials);
    CredentialPool::Environment env;
    env.http = &http_;
    env.workspace_host = "https://127.0.0.1:8443/";
    env.env = [this](absl::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    env.metrics = &metrics_;
    env.now = [this] { return now_; };
    return CredentialPool::Start(std::move(options), std::move(env));
  }

  static CredentialOptions Pat(std::string name, std::string variable) {
    CredentialOptions c;
    c.name = std::move(name);
    c.token = {SecretRef::Source::kEnv, std::move(variable)};
    return c;
  }

  double State(absl::string_view credential) {
    return metrics_.ForCredential("etl", credential).state.Value();
  }

  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  std::map<std::string, std::string> env_ = {{"PAT_A", "dapi-aaaaaaaaaaaa"},
                                             {"PAT_B", "dapi-bbbbbbbbbbbb"},
                                             {"PAT_C", "dapi-cccccccccccc"},
                                             {"M2M_SECRET", "m2m-secret-value"}};
  FakeHttpClient http_;
  prometheus::Registry registry_;
  metrics::CredentialMetrics metrics_;
};

TEST_F(PoolTest, SpreadsAttemptsOverTheLeastLoadedCredentials) {
  auto pool = Start({Pat("a", "PAT_A"), Pat("b", "PAT_B"), Pat("c", "PAT_C")});
  std::vector<Authorizer::Grant> held;
  held.reserve(3);
  for (int i = 0; i < 3; ++i) held.push_back(pool->Acquire("jobs.runs.get").value());
  EXPECT_NE(held[0].credential, held[1].credential);
  EXPECT_NE(held[1].credential, held[2].credential);
  EXPECT_NE(held[0].credential, held[2].credential);
  // b finishes; the next attempt goes to it, the only one with nothing in flight.
  const Authorizer::Grant b = held[1];
  pool->Report(b, Authorizer::Outcome::kSuccess);
  EXPECT_EQ(pool->Acquire("jobs.runs.get").value().credential, b.credential);
  EXPECT_EQ(metrics_.PoolUsable("etl").Value(), 3);
}

TEST_F(PoolTest, ARejectedCredentialIsEjectedForAGrowingTimeAndComesBack) {
  auto pool = Start({Pat("a", "PAT_A"), Pat("b", "PAT_B")});
  Authorizer::Grant a = pool->Acquire("jobs.runs.get").value();
  ASSERT_EQ(a.authorization, "Bearer dapi-aaaaaaaaaaaa");
  EXPECT_TRUE(pool->Report(a, Authorizer::Outcome::kRejected)) << "b can take the retry";
  EXPECT_EQ(State("a"), 2);
  EXPECT_EQ(metrics_.ForCredential("etl", "a").ejections.Value(), 1);
  EXPECT_EQ(metrics_.PoolUsable("etl").Value(), 1);
  for (int i = 0; i < 4; ++i) {
    Authorizer::Grant g = pool->Acquire("jobs.runs.get").value();
    EXPECT_EQ(g.authorization, "Bearer dapi-bbbbbbbbbbbb");
    pool->Report(g, Authorizer::Outcome::kSuccess);
  }
  now_ += absl::Seconds(30);  // first ejection: 30 s
  pool->Tick();
  EXPECT_EQ(State("a"), 0);
  a = pool->Acquire("jobs.runs.get").value();
  ASSERT_EQ(a.authorization, "Bearer dapi-aaaaaaaaaaaa");
  pool->Report(a, Authorizer::Outcome::kRejected);
  now_ += absl::Seconds(59);  // second ejection: 60 s
  pool->Tick();
  EXPECT_EQ(State("a"), 2);
  now_ += absl::Seconds(1);
  pool->Tick();
  EXPECT_EQ(State("a"), 0);
}

TEST_F(PoolTest, AnEmptyPoolRefusesWithTheReasonAndWhenItReturns) {
  auto pool = Start({Pat("a", "PAT_A"), Pat("b", "PAT_B")});
  Authorizer::Grant a = pool->Acquire("jobs.runs.get").value();
  Authorizer::Grant b = pool->Acquire("jobs.runs.get").value();
  EXPECT_TRUE(pool->Report(a, Authorizer::Outcome::kRejected));
  EXPECT_EQ(pool->NotUsableReason(), "") << "b still serves";
  EXPECT_EQ(metrics_.PoolUsable("etl").Value(), 1);
  EXPECT_FALSE(pool->Report(b, Authorizer::Outcome::kRejected));
  absl::StatusOr<Authorizer::Grant> down = pool->Acquire("jobs.runs.submit");
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(down.status().message(),
            "no credential of pool 'etl' is usable for jobs.runs.submit: a ejected after "
            "Databricks rejected it; b ejected after Databricks rejected it");
  EXPECT_EQ(GetErrorReason(down.status()).reason, "CREDENTIAL_POOL_EXHAUSTED");
  EXPECT_TRUE(GetRetryDelay(down.status()).has_value()) << "when the first ejection ends";
  EXPECT_EQ(pool->NotUsableReason(),
            "a ejected after Databricks rejected it; b ejected after Databricks rejected it");
  EXPECT_EQ(metrics_.PoolUsable("etl").Value(), 0);
  now_ += absl::Seconds(30);
  EXPECT_EQ(pool->Acquire("jobs.runs.get").status().code(), absl::StatusCode::kOk);
  EXPECT_EQ(pool->NotUsableReason(), "");
}

// A 429 is the endpoint's limit, which the workspace's budget paces: the credential that
// got it keeps serving every operation.
TEST_F(PoolTest, AThrottledAttemptLeavesTheCredentialInUse) {
  auto pool = Start({Pat("a", "PAT_A")});
  EXPECT_FALSE(pool->Report(pool->Acquire("jobs.runs.get").value(), Authorizer::Outcome::kOther))
      << "no other credential";
  EXPECT_TRUE(pool->Acquire("jobs.runs.get").ok());
  EXPECT_EQ(State("a"), 0);
}

TEST_F(PoolTest, OAuthTokensAreFetchedRefreshedAheadAndKeptThroughAFailedRefresh) {
  CredentialOptions m2m;
  m2m.name = "sp";
  m2m.type = CredentialType::kOAuthM2M;
  m2m.client_id = "client-1";
  m2m.client_secret = {SecretRef::Source::kEnv, "M2M_SECRET"};
  auto pool = Start({m2m});
  EXPECT_EQ(pool->Acquire("jobs.runs.get").status().code(), absl::StatusCode::kUnavailable)
      << "no token yet";
  ASSERT_EQ(http_.sent.size(), 1u);
  const upstream::HttpRequest& request = http_.sent.front().first;
  EXPECT_EQ(request.url, "https://127.0.0.1:8443/oidc/v1/token");
  EXPECT_EQ(request.body, "grant_type=client_credentials&scope=all-apis");
  std::string basic;
  for (const auto& [name, value] : request.headers) {
    if (name == "Authorization") basic = value;
  }
  EXPECT_EQ(basic, "Basic " + absl::Base64Escape("client-1:m2m-secret-value"));
  http_.Answer(200, R"({"access_token":"tok-1","token_type":"Bearer","expires_in":20})");
  EXPECT_EQ(pool->Acquire("jobs.runs.get").value().authorization, "Bearer tok-1");
  EXPECT_EQ(metrics_.ForCredential("etl", "sp").refresh_success.Value(), 1);

  now_ += absl::Seconds(9);
  pool->Tick();
  EXPECT_TRUE(http_.sent.empty()) << "refreshed before half the life passed";
  now_ += absl::Seconds(1);
  pool->Tick();
  ASSERT_EQ(http_.sent.size(), 1u);
  http_.Answer(503, R"({"error":"temporarily_unavailable"})");
  EXPECT_EQ(metrics_.ForCredential("etl", "sp").refresh_failure.Value(), 1);
  EXPECT_EQ(pool->Acquire("jobs.runs.get").value().authorization, "Bearer tok-1")
      << "kept after a failure";

  // Not sent in its last 5 s (a quarter of 20 s): unusable at 15 s without a refresh.
  now_ += absl::Seconds(5);
  EXPECT_EQ(pool->Acquire("jobs.runs.get").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pool->NotUsableReason(),
            "sp has no usable token (token endpoint answered HTTP 503 temporarily_unavailable)");
  pool->Tick();  // the back-off (2.5 s) has passed
  ASSERT_EQ(http_.sent.size(), 1u);
  http_.Answer(200, R"({"access_token":"tok-2","expires_in":"20"})");
  EXPECT_EQ(pool->Acquire("jobs.runs.get").value().authorization, "Bearer tok-2");
}

TEST_F(PoolTest, AzureServicePrincipalsAskAzureAdForTheDatabricksResource) {
  CredentialOptions sp;
  sp.name = "azure";
  sp.type = CredentialType::kAzureServicePrincipal;
  sp.client_id = "app-1";
  sp.client_secret = {SecretRef::Source::kEnv, "M2M_SECRET"};
  sp.azure_tenant_id = "tenant-9";
  sp.azure_login_host = "http://127.0.0.1:9999";
  auto pool = Start({sp});
  ASSERT_EQ(http_.sent.size(), 1u);
  EXPECT_EQ(http_.sent.front().first.url, "http://127.0.0.1:9999/tenant-9/oauth2/token");
  EXPECT_EQ(http_.sent.front().first.body,
            "grant_type=client_credentials&client_id=app-1&client_secret=m2m-secret-value&"
            "resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d");
  http_.Answer(200, R"({"token_type":"Bearer","expires_in":"3599","access_token":"aad-1"})");
  EXPECT_EQ(pool->Acquire("jobs.runs.get").value().authorization, "Bearer aad-1");
}

TEST_F(PoolTest, AChangedSecretFileIsUsedForNewAttemptsAndClearsAnEjection) {
  const std::string path = ::testing::TempDir() + "/pool_test_pat";
  std::ofstream(path) << "dapi-first-0000000\n";
  CredentialOptions c;
  c.name = "file";
  c.token = {SecretRef::Source::kFile, path};
  auto pool = Start({c});
  Authorizer::Grant old = pool->Acquire("jobs.runs.get").value();
  EXPECT_EQ(old.authorization, "Bearer dapi-first-0000000");

  std::ofstream(path) << "dapi-second-000000\n";
  pool->Tick();
  // The attempt in flight still carries the old token; its rejection ejects nothing new.
  EXPECT_EQ(old.authorization, "Bearer dapi-first-0000000");
  pool->Report(old, Authorizer::Outcome::kRejected);
  EXPECT_EQ(State("file"), 0);
  Authorizer::Grant fresh = pool->Acquire("jobs.runs.get").value();
  EXPECT_EQ(fresh.authorization, "Bearer dapi-second-000000");

  pool->Report(fresh, Authorizer::Outcome::kRejected);
  EXPECT_EQ(State("file"), 2);
  std::ofstream(path) << "\n";  // emptied by mistake: the last good value stays
  pool->Tick();
  EXPECT_EQ(State("file"), 2);
  std::ofstream(path) << "dapi-third-0000000";
  pool->Tick();
  EXPECT_EQ(State("file"), 0) << "a new secret clears the ejection";
  EXPECT_EQ(pool->Acquire("jobs.runs.get").value().authorization, "Bearer dapi-third-0000000");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gateway::credentials
