// Secrets never leave the gateway: a run with every kind of secret (PATs in env and in a
// file, an OAuth client secret in a file, an Azure client secret in env, a Redis password
// in a file, the handle signing key, callers' API keys) and failures injected on purpose
// (Databricks errors that quote the secrets, rejected credentials, failed token refreshes,
// Redis gone, a broken reload, a placeholder written into a secret file). Afterwards no
// secret value appears in the gateway's log, /metrics, /config, or any error returned.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/redis.h"
#include "tests/integration/flood.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

using ::gateway::testing::GetWarehouse;
using ::gateway::testing::HttpRequest;
using ::gateway::testing::PollUntil;
using ::gateway::testing::ReadFile;
using ::gateway::testing::RedisServer;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::gateway::testing::TempDir;
using ::gateway::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

// Values chosen so that no generic pattern ("dapi…", "Bearer …") would hide them: only
// the gateway's knowledge of its secrets can.
constexpr char kPatInEnv[] = "pat-env-7c1e9b2f4a6d8e0c5b3a";
constexpr char kPatInFile[] = "pat-file-93b1d4e8a2c7f6051e2d";
constexpr char kOAuthSecret[] = "oauth-secret-4e8a1f0b9c3d7e26";
constexpr char kAzureSecret[] = "azure-secret-b05c7e1a3d9f2864";
constexpr char kRedisPassword[] = "redis-password-6a2d9e4c1b8f3057";
constexpr char kHandleKey[] = "handle-key-1f7b3e9d5a0c8642e-7c19d3b5";
constexpr char kCallerKey[] = "caller-key-8d4f0a6c2e9b1735";
constexpr char kWrongKey[] = "wrong-key-3c9e5a1f7d0b2468";

// What the gateway holds. Callers' API keys are secrets too, but the gateway keeps only
// their hashes and Databricks never sees them, so no Databricks error can quote them.
std::vector<std::string> GatewaySecrets() {
  return {kPatInEnv, kPatInFile, kOAuthSecret, kAzureSecret, kRedisPassword, kHandleKey};
}

std::vector<std::string> Secrets() {
  std::vector<std::string> secrets = GatewaySecrets();
  secrets.emplace_back(kCallerKey);
  secrets.emplace_back(kWrongKey);
  return secrets;
}

class SecretsTest : public ::testing::Test {
 protected:
  // Calls GetWarehouse with `key`; keeps what a caller would see of a failure.
  grpc::Status Call(Stack& stack, const std::string& key) {
    grpc::Status status = GetWarehouse(stack.ChannelWithKey(key));
    if (!status.ok()) {
      errors_.push_back(absl::StrCat(status.error_code(), " ", status.error_message(), " ",
                                     status.error_details()));
    }
    return status;
  }

  std::vector<std::string> errors_;
};

TEST_F(SecretsTest, NoSecretReachesLogsMetricsConfigOrErrors) {
  const std::string dir = TempDir();
  const std::string pat_file = absl::StrCat(dir, "/secrets-pat");
  const std::string oauth_file = absl::StrCat(dir, "/secrets-oauth");
  const std::string redis_file = absl::StrCat(dir, "/secrets-redis");
  WriteFile(pat_file, kPatInFile);
  WriteFile(oauth_file, kOAuthSecret);
  WriteFile(redis_file, kRedisPassword);
  absl::StatusOr<std::unique_ptr<RedisServer>> redis =
      RedisServer::Start("secrets", kRedisPassword);
  ASSERT_TRUE(redis.ok()) << redis.status();

  StackOptions options;
  options.emulator_yaml = "sql:\n  warehouses: [{id: wh1, name: Main, state: RUNNING}]\n";
  options.emulator_tokens = {kPatInEnv, kPatInFile};
  options.emulator_auth_yaml = absl::StrCat(
      "  oauth_clients: [{client_id: sp-oauth, client_secret: ", kOAuthSecret, "}]\n",
      "  oauth_token_ttl_seconds: 4\n",
      "  azure_principals: [{tenant_id: tenant-1, client_id: sp-azure, client_secret: ",
      kAzureSecret, "}]\n", "  azure_token_ttl_seconds: 4\n");
  options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: mixed
    workspace: default
    eject_base_seconds: 1
    eject_max_seconds: 1
    credentials:
      - {name: env-pat, type: pat, token: {env: PAT_IN_ENV}}
      - {name: file-pat, type: pat, token: {file: )yaml",
                                      pat_file, R"yaml(}}
      - {name: oauth, type: oauth_m2m, client_id: sp-oauth, client_secret: {file: )yaml",
                                      oauth_file, R"yaml(}}
      - name: azure
        type: azure_service_principal
        client_id: sp-azure
        azure_tenant_id: tenant-1
        azure_login_host: "{emulator}"
        client_secret: {env: AZURE_SECRET}
tenants:
  - name: caller
    api_key_sha256: [")yaml",
                                      Sha256Hex(kCallerKey), R"yaml("]
    credential_pool: mixed
    quota: {requests_per_second: 1000, burst: 1000, global: true}
redis:
  enabled: true
  address: ")yaml",
                                      (*redis)->address(), R"yaml("
  password: {file: )yaml",
                                      redis_file, R"yaml(}
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
  options.gateway_env = {
      {"PAT_IN_ENV", kPatInEnv}, {"AZURE_SECRET", kAzureSecret}, {"HANDLE_KEY", kHandleKey}};
  Stack stack("secrets", options);
  ASSERT_TRUE(stack.ok()) << stack.error();
  ASSERT_TRUE(PollUntil([&] { return Call(stack, kCallerKey).ok(); }, absl::Seconds(10)));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Call(stack, kCallerKey).ok());

  // Databricks errors that quote every secret: the caller gets the error, scrubbed.
  const std::string quoted = absl::StrJoin(GatewaySecrets(), " ");
  stack.SetFaults(absl::StrCat(
      R"([{"endpoint":"GET /api/2.0/sql/warehouses/{id}","kind":"status","status":400,)",
      R"("error_code":"INVALID_PARAMETER_VALUE","message":"bad request from )", quoted,
      R"(","count":3}])"));
  for (int i = 0; i < 3; ++i) {
    const grpc::Status status = Call(stack, kCallerKey);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("bad request from [REDACTED]"));
  }

  // Every credential rejected with a message quoting the secrets: ejections, then a pool
  // with nothing usable, then recovery.
  stack.SetFaults(absl::StrCat(
      R"([{"endpoint":"*","kind":"status","status":401,"error_code":"UNAUTHENTICATED",)",
      R"("message":"Invalid access token )", quoted, R"("}])"));
  for (int i = 0; i < 8; ++i) Call(stack, kCallerKey);
  stack.SetFaults("[]");
  EXPECT_TRUE(PollUntil([&] { return Call(stack, kCallerKey).ok(); }, absl::Seconds(10)));

  // Token refreshes fail while the OAuth client and the Azure principal are revoked.
  stack.Control("POST", "/emulator/v1/credentials/revoke", R"({"client_id":"sp-oauth"})");
  stack.Control("POST", "/emulator/v1/credentials/revoke", R"({"client_id":"sp-azure"})");
  EXPECT_TRUE(PollUntil(
      [&] { return stack.GatewayLog().find("token refresh failed") != std::string::npos; },
      absl::Seconds(10)));
  for (int i = 0; i < 5; ++i) Call(stack, kCallerKey);
  stack.Control("POST", "/emulator/v1/credentials/restore", R"({"client_id":"sp-oauth"})");
  stack.Control("POST", "/emulator/v1/credentials/restore", R"({"client_id":"sp-azure"})");

  // Unknown and missing API keys.
  EXPECT_EQ(Call(stack, kWrongKey).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(stack, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // A placeholder written over a secret file is refused and the last good value kept.
  WriteFile(pat_file, "your-token");
  absl::SleepFor(absl::Milliseconds(1500));
  WriteFile(pat_file, kPatInFile);

  // Redis goes away and comes back.
  ASSERT_TRUE((*redis)->Stop().ok());
  for (int i = 0; i < 5; ++i) Call(stack, kCallerKey);
  ASSERT_TRUE((*redis)->Restart().ok());

  // A reload naming a variable that is not set is rejected.
  const std::string config = ReadFile(stack.gateway_config());
  WriteFile(stack.gateway_config(), absl::StrReplaceAll(config, {{"PAT_IN_ENV", "PAT_UNSET"}}));
  stack.Reload();
  EXPECT_TRUE(
      PollUntil([&] { return stack.GatewayLog().find("reload rejected") != std::string::npos; },
                absl::Seconds(10)));
  WriteFile(stack.gateway_config(), config);
  stack.Reload();
  EXPECT_TRUE(PollUntil([&] { return Call(stack, kCallerKey).ok(); }, absl::Seconds(10)));

  // What the run left behind.
  const std::string log = stack.GatewayLog();
  const std::string metrics = stack.Metrics();
  const std::string config_dump = [&] {
    absl::StatusOr<testing::HttpResponse> response =
        HttpRequest(stack.admin_port(), "GET", "/config");
    return response.ok() ? response->body : "";
  }();
  ASSERT_THAT(config_dump, HasSubstr("credential_pools"));
  // The failures did happen, so the texts searched are the ones that matter.
  EXPECT_THAT(log, HasSubstr("Databricks rejected a credential"));
  EXPECT_THAT(log, HasSubstr("token refresh failed"));
  EXPECT_THAT(log, HasSubstr("Redis is unreachable"));
  EXPECT_THAT(log, HasSubstr("PAT_UNSET"));
  EXPECT_GE(errors_.size(), 10u);

  for (const std::string& secret : Secrets()) {
    EXPECT_THAT(log, Not(HasSubstr(secret))) << "in the log";
    EXPECT_THAT(metrics, Not(HasSubstr(secret))) << "in /metrics";
    EXPECT_THAT(config_dump, Not(HasSubstr(secret))) << "in /config";
    for (const std::string& error : errors_) {
      EXPECT_THAT(error, Not(HasSubstr(secret))) << "in an error returned";
    }
  }
}

}  // namespace
}  // namespace gateway
