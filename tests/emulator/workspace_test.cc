// The emulated workspace around the APIs: authentication, throttling, fault injection, Unity
// Catalog kept consistent with SQL, the control API and configuration errors.
#include <thread>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "tests/emulator/emulator_test_base.h"

namespace emulator {
namespace {

using ::testing::HasSubstr;
namespace json = gateway::json;

constexpr char kRunsGet[] = "/api/2.2/jobs/runs/get?run_id=1";
constexpr char kSubmit[] = R"({"tasks":[{"task_key":"t","notebook_task":{"notebook_path":"/x"}}]})";

class WorkspaceTest : public EmulatorTest {
 protected:
  Reply Form(const std::string& target, const std::string& form,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return Call("POST", target, form, "", headers);
  }
  int64_t Counter(const std::string& group, const std::string& key) {
    Reply c = Call("GET", "/emulator/v1/counters", "", "");
    const json::Value* g = c.body.Find(group);
    const json::Value* v = g ? g->Find(key) : nullptr;
    return v ? v->as_int() : 0;
  }
  void SetFaults(const std::string& faults_json) {
    Reply r =
        Call("PUT", "/emulator/v1/faults", absl::StrCat(R"({"faults":)", faults_json, "}"), "");
    ASSERT_EQ(r.status, 200) << r.raw;
  }
};

TEST_F(WorkspaceTest, PersonalAccessTokensAreRequired) {
  Reply none = Get(kRunsGet, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Str(none.body, "error_code"), "UNAUTHENTICATED");
  Reply wrong = Get(kRunsGet, "dapi-wrong");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Str(wrong.body, "message"), "Invalid access token.");
  EXPECT_EQ(Get(kRunsGet).status, 400);  // authenticated: the run just does not exist
  Reply me = Get("/api/2.0/preview/scim/v2/Me", "dapi-bob-token");
  EXPECT_EQ(Str(me.body, "userName"), "bob");
  // Revoked and restored through the control API.
  Call("POST", "/emulator/v1/credentials/revoke", R"({"token":"dapi-bob-token"})", "");
  EXPECT_EQ(Get("/api/2.0/preview/scim/v2/Me", "dapi-bob-token").status, 401);
  Call("POST", "/emulator/v1/credentials/restore", R"({"token":"dapi-bob-token"})", "");
  EXPECT_EQ(Get("/api/2.0/preview/scim/v2/Me", "dapi-bob-token").status, 200);
}

TEST_F(WorkspaceTest, OAuthMachineToMachineTokens) {
  Reply discovery = Get("/oidc/.well-known/oauth-authorization-server", "");
  EXPECT_EQ(Str(discovery.body, "token_endpoint"), emulator_->base_url() + "/oidc/v1/token");
  const std::string basic = "Basic " + absl::Base64Escape("m2m-client:m2m-secret");
  Reply token = Form("/oidc/v1/token", "grant_type=client_credentials&scope=all-apis",
                     {{"Authorization", basic}});
  ASSERT_EQ(token.status, 200) << token.raw;
  EXPECT_EQ(Str(token.body, "token_type"), "Bearer");
  EXPECT_EQ(At(token.body, "expires_in").as_int(), 60);
  const std::string access = Str(token.body, "access_token");
  EXPECT_EQ(Str(Get("/api/2.0/preview/scim/v2/Me", access).body, "userName"), "m2m-client");
  // Form credentials work too; a wrong secret or grant does not.
  EXPECT_EQ(Form("/oidc/v1/token",
                 "grant_type=client_credentials&client_id=m2m-client&client_secret=m2m-secret")
                .status,
            200);
  Reply bad = Form("/oidc/v1/token",
                   "grant_type=client_credentials&client_id=m2m-client&client_secret=nope");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(Str(bad.body, "error"), "invalid_client");
  EXPECT_EQ(Str(Form("/oidc/v1/token", "grant_type=password").body, "error"),
            "unsupported_grant_type");
  Advance(61);
  Reply expired = Get("/api/2.0/preview/scim/v2/Me", access);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(Str(expired.body, "message"), "Token expired.");
}

TEST_F(WorkspaceTest, AzureServicePrincipalTokensAndTheThirtySecondRule) {
  Reply wrong_resource = Form("/tenant-1/oauth2/token",
                              "grant_type=client_credentials&client_id=az-client&"
                              "client_secret=az-secret&resource=something-else");
  EXPECT_EQ(wrong_resource.status, 400);
  EXPECT_EQ(Str(wrong_resource.body, "error"), "invalid_resource");
  Reply bad_secret = Form("/tenant-1/oauth2/token",
                          "grant_type=client_credentials&client_id=az-client&client_secret=x&"
                          "resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d");
  EXPECT_EQ(bad_secret.status, 401);
  Reply token = Form("/tenant-1/oauth2/token",
                     "grant_type=client_credentials&client_id=az-client&client_secret=az-secret&"
                     "resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d");
  ASSERT_EQ(token.status, 200) << token.raw;
  EXPECT_EQ(Str(token.body, "expires_in"), "120");  // AAD v1 sends strings
  const std::string access = Str(token.body, "access_token");
  EXPECT_EQ(Get("/api/2.0/preview/scim/v2/Me", access).status, 200);
  // A token for another configured resource is issued but opens no Databricks API.
  Reply management = Form("/tenant-1/oauth2/token",
                          "grant_type=client_credentials&client_id=az-client&"
                          "client_secret=az-secret&resource=test-management-resource");
  ASSERT_EQ(management.status, 200) << management.raw;
  EXPECT_EQ(Str(management.body, "resource"), "test-management-resource");
  EXPECT_EQ(Get("/api/2.0/preview/scim/v2/Me", Str(management.body, "access_token")).status, 401);
}

TEST_F(WorkspaceTest, AzureWorkspaceRefusesTokensAboutToExpire) {
  emulator_.reset();
  std::string config = kBaseConfig;
  const std::string ttl = "  azure_token_ttl_seconds: 120";
  config.replace(config.find(ttl), ttl.size(), ttl + "\n  azure_workspace: true");
  absl::StatusOr<EmulatorOptions> options = ParseOptionsYaml(config);
  ASSERT_TRUE(options.ok()) << options.status();
  emulator_ = *Emulator::Start(*std::move(options));
  Reply token = Form("/tenant-1/oauth2/token",
                     "grant_type=client_credentials&client_id=az-client&client_secret=az-secret&"
                     "resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d");
  const std::string access = Str(token.body, "access_token");
  Advance(89);
  EXPECT_EQ(Get("/api/2.0/preview/scim/v2/Me", access).status, 200);  // 31 s left
  Advance(1);
  Reply expiring = Get("/api/2.0/preview/scim/v2/Me", access);
  EXPECT_EQ(expiring.status, 403);
  EXPECT_EQ(Str(expiring.body, "message"), "Token is expiring within 30 seconds.");
}

TEST_F(WorkspaceTest, ThrottlingRepliesTooManyRequestsWithRetryAfter) {
  Reply set = Call("PUT", "/emulator/v1/throttles", R"({"throttles":[
      {"endpoint":"GET /api/2.2/jobs/runs/get","rate_per_second":1,"burst":2,"retry_after_seconds":3},
      {"endpoint":"GET /api/2.0/preview/*","rate_per_second":1,"burst":1,"per_principal":true,
       "retry_after_seconds":-1,"error_code":"RESOURCE_EXHAUSTED"}]})",
                   "");
  ASSERT_EQ(set.status, 200) << set.raw;
  EXPECT_EQ(Get(kRunsGet).status, 400);
  EXPECT_EQ(Get(kRunsGet).status, 400);
  Reply limited = Get(kRunsGet);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(Str(limited.body, "error_code"), "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(limited.retry_after, "3");
  EXPECT_EQ(Counter("throttled", "GET /api/2.2/jobs/runs/get"), 1);
  Advance(1);  // one token back
  EXPECT_EQ(Get(kRunsGet).status, 400);
  EXPECT_EQ(Get(kRunsGet).status, 429);
  // Per principal: alice's bucket does not limit bob; no Retry-After header on this rule.
  EXPECT_EQ(Get("/api/2.0/preview/scim/v2/Me").status, 200);
  Reply alice = Get("/api/2.0/preview/scim/v2/Me");
  EXPECT_EQ(alice.status, 429);
  EXPECT_EQ(alice.retry_after, "");
  EXPECT_EQ(Str(alice.body, "error_code"), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(Get("/api/2.0/preview/scim/v2/Me", "dapi-bob-token").status, 200);
}

TEST_F(WorkspaceTest, InjectedErrorResponses) {
  SetFaults(R"([
      {"endpoint":"GET /api/2.2/jobs/runs/list","kind":"status","status":503,"retry_after_seconds":2,"count":1},
      {"endpoint":"GET /api/2.2/jobs/runs/list","kind":"status","status":429,"error_code":"REQUEST_LIMIT_EXCEEDED","count":1},
      {"endpoint":"GET /api/2.2/jobs/runs/list","kind":"status","status":500,"error_code":"INTERNAL_ERROR","count":1},
      {"endpoint":"GET /api/2.2/jobs/runs/list","kind":"html","status":502,"message":"Bad gateway","count":1},
      {"endpoint":"GET /api/2.2/jobs/runs/list","kind":"text","status":503,"count":1},
      {"endpoint":"GET /api/2.2/jobs/runs/list","kind":"limit_body","status":200,"count":1},
      {"endpoint":"GET /api/2.2/jobs/runs/list","kind":"limit_body","count":1}])");
  Reply r503 = Get("/api/2.2/jobs/runs/list");
  EXPECT_EQ(r503.status, 503);
  EXPECT_EQ(r503.retry_after, "2");
  EXPECT_EQ(Str(r503.body, "error_code"), "TEMPORARILY_UNAVAILABLE");
  Reply r429 = Get("/api/2.2/jobs/runs/list");
  EXPECT_EQ(r429.status, 429);
  EXPECT_EQ(r429.retry_after, "");
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list").status, 500);
  Reply html = Get("/api/2.2/jobs/runs/list");
  EXPECT_EQ(html.status, 502);
  EXPECT_THAT(html.raw, HasSubstr("<pre>Bad gateway</pre>"));
  Reply text = Get("/api/2.2/jobs/runs/list");
  EXPECT_EQ(text.status, 503);
  EXPECT_EQ(text.raw, "TEMPORARILY_UNAVAILABLE: try again later");
  Reply limit = Get("/api/2.2/jobs/runs/list");
  EXPECT_EQ(limit.status, 200);
  EXPECT_EQ(Str(limit.body, "error_code"), "REQUEST_LIMIT_EXCEEDED");
  Reply limit400 = Get("/api/2.2/jobs/runs/list");  // limit_body defaults to 400
  EXPECT_EQ(limit400.status, 400);
  EXPECT_EQ(Str(limit400.body, "error_code"), "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list").status, 200);  // every rule used up
  EXPECT_EQ(Counter("faults", "status GET /api/2.2/jobs/runs/list"), 3);
}

TEST_F(WorkspaceTest, ConnectionResetBeforeOrAfterProcessing) {
  SetFaults(R"([{"endpoint":"POST /api/2.2/jobs/runs/submit","kind":"reset_before","count":1},
                {"endpoint":"POST /api/2.2/jobs/runs/submit","kind":"reset_after","count":1}])");
  EXPECT_EQ(Post("/api/2.2/jobs/runs/submit", kSubmit).status, -1);  // nothing processed
  EXPECT_EQ(Str(Get("/api/2.2/jobs/runs/list").body, "runs"), "");
  EXPECT_EQ(Post("/api/2.2/jobs/runs/submit", kSubmit).status, -1);  // processed, answer lost
  EXPECT_EQ(At(Get("/api/2.2/jobs/runs/list").body, "runs").as_array().size(), 1u);
  EXPECT_EQ(Counter("responses", "connection-error"), 2);
}

TEST_F(WorkspaceTest, TruncatedBodiesLatencySkipAndProbability) {
  SetFaults(R"([{"endpoint":"GET /api/2.2/jobs/runs/list","kind":"truncate","skip":1,"count":1},
                {"endpoint":"GET /api/2.1/unity-catalog/catalogs","kind":"latency","latency_ms":300},
                {"endpoint":"GET /api/2.2/jobs/list","kind":"status","probability":0.5}])");
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list").status, 200);  // skipped
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list").status, -1);   // cut mid-body
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list").status, 200);
  const absl::Time start = absl::Now();
  EXPECT_EQ(Get("/api/2.1/unity-catalog/catalogs").status, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  int failures = 0;
  for (int i = 0; i < 200; ++i) failures += Get("/api/2.2/jobs/list").status == 503 ? 1 : 0;
  EXPECT_GT(failures, 60);  // about half, from a seeded generator
  EXPECT_LT(failures, 140);
  Reply cleared = Call("DELETE", "/emulator/v1/faults", "", "");
  EXPECT_EQ(cleared.status, 200);
  EXPECT_EQ(Get("/api/2.2/jobs/list").status, 200);
  Reply bad =
      Call("PUT", "/emulator/v1/faults", R"({"faults":[{"endpoint":"*","kind":"explode"}]})", "");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(Str(bad.body, "message"), HasSubstr("faults[0].kind: must be one of"));
}

TEST_F(WorkspaceTest, UnityCatalogFollowsTheSqlThatRan) {
  auto sql = [&](const std::string& statement) {
    json::Value body;
    body.Set("warehouse_id", "wh").Set("statement", statement);
    Reply r = Post("/api/2.0/sql/statements", body.Dump());
    EXPECT_EQ(Str(r.body, "status.state"), "SUCCEEDED") << statement << r.raw;
  };
  sql("CREATE SCHEMA main.sales COMMENT 'money'");
  sql("CREATE TABLE main.sales.orders (id BIGINT NOT NULL COMMENT 'key', amount DECIMAL(10,2)) "
      "PARTITIONED BY (id) COMMENT 'all orders'");
  for (int i = 0; i < 4; ++i) sql(absl::StrCat("CREATE TABLE main.sales.t", i, " (a INT)"));
  Reply table = Get("/api/2.1/unity-catalog/tables/main.sales.orders");
  ASSERT_EQ(table.status, 200) << table.raw;
  EXPECT_EQ(Str(table.body, "full_name"), "main.sales.orders");
  EXPECT_EQ(Str(table.body, "table_type"), "MANAGED");
  EXPECT_EQ(Str(table.body, "data_source_format"), "DELTA");
  EXPECT_EQ(Str(table.body, "comment"), "all orders");
  EXPECT_EQ(Str(table.body, "columns.0.type_name"), "LONG");
  EXPECT_EQ(Str(table.body, "columns.0.nullable"), "false");
  EXPECT_EQ(Str(table.body, "columns.0.comment"), "key");
  EXPECT_EQ(At(table.body, "columns.0.partition_index").as_int(), 0);
  EXPECT_EQ(Str(table.body, "columns.1.type_text"), "decimal(10,2)");
  EXPECT_EQ(At(table.body, "columns.1.type_precision").as_int(), 10);
  EXPECT_EQ(Str(table.body, "columns.1.type_json"),
            R"json({"name":"amount","type":"decimal(10,2)","nullable":true,"metadata":{}})json");
  sql("ALTER TABLE main.sales.orders ADD COLUMNS (note STRING)");
  EXPECT_EQ(Str(Get("/api/2.1/unity-catalog/tables/main.sales.orders").body, "columns.2.name"),
            "note");
  EXPECT_EQ(Str(Get("/api/2.1/unity-catalog/tables/main.sales.nope/exists").body, "table_exists"),
            "false");
  Reply missing = Get("/api/2.1/unity-catalog/tables/main.sales.nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Str(missing.body, "error_code"), "TABLE_DOES_NOT_EXIST");
  EXPECT_EQ(Str(Get("/api/2.1/unity-catalog/schemas/main.sales").body, "comment"), "money");

  // max_results: unset = everything, 0 = server page size, > 0 = that many, < 0 = error.
  const std::string list = "/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=sales";
  EXPECT_EQ(At(Get(list).body, "tables").as_array().size(), 5u);
  EXPECT_EQ(Str(Get(list).body, "next_page_token"), "");
  EXPECT_EQ(At(Get(list + "&max_results=0").body, "tables").as_array().size(), 5u);
  EXPECT_EQ(Get(list + "&max_results=-1").status, 400);
  std::vector<std::string> names;
  std::string token;
  do {
    Reply page = Get(list + "&max_results=2" + (token.empty() ? "" : "&page_token=" + token));
    const json::Value tables = At(page.body, "tables");
    for (const json::Value& t : tables.as_array()) names.push_back(Str(t, "name"));
    token = Str(page.body, "next_page_token");
  } while (!token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"orders", "t0", "t1", "t2", "t3"}));
  EXPECT_EQ(Get("/api/2.1/unity-catalog/tables?catalog_name=main").status, 400);
  EXPECT_EQ(
      At(Get("/api/2.1/unity-catalog/schemas?catalog_name=main").body, "schemas").as_array().size(),
      2u);
  Reply summaries =
      Get("/api/2.1/unity-catalog/table-summaries?catalog_name=main&table_name_pattern=t*");
  EXPECT_EQ(At(summaries.body, "tables").as_array().size(), 4u);
}

TEST_F(WorkspaceTest, CatalogQuirksEmptyFirstPageAndTooLargeUnpaginated) {
  emulator_.reset();
  Start("catalog:\n  empty_first_page: true\n  unpaginated_table_limit: 1\n");
  json::Value body;
  body.Set("warehouse_id", "wh");
  for (const char* statement : {"CREATE TABLE a (x INT)", "CREATE TABLE b (x INT)"}) {
    body.Set("statement", statement);
    ASSERT_EQ(Str(Post("/api/2.0/sql/statements", body.Dump()).body, "status.state"), "SUCCEEDED");
  }
  const std::string list = "/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=default";
  Reply too_large = Get(list);
  EXPECT_EQ(too_large.status, 400);
  EXPECT_THAT(Str(too_large.body, "message"), HasSubstr("UC-PGRQD"));
  Reply first = Get(list + "&max_results=0");
  EXPECT_TRUE(At(first.body, "tables").as_array().empty());
  const std::string token = Str(first.body, "next_page_token");
  ASSERT_FALSE(token.empty());
  Reply second = Get(list + "&max_results=0&page_token=" + token);
  EXPECT_EQ(At(second.body, "tables").as_array().size(), 2u);
  EXPECT_TRUE(At(second.body, "next_page_token").is_null());  // omitted, never ""
}

TEST_F(WorkspaceTest, CountersAndClock) {
  Get(kRunsGet);
  Get(kRunsGet);
  Get("/api/2.0/sql/statements/01ef-x");
  EXPECT_EQ(Counter("requests", "GET /api/2.2/jobs/runs/get"), 2);
  EXPECT_EQ(Counter("requests", "GET /api/2.0/sql/statements/{id}"), 1);
  EXPECT_EQ(Counter("responses", "400"), 2);
  EXPECT_EQ(Counter("principals", "alice"), 3);
  Call("POST", "/emulator/v1/counters/reset", "{}", "");
  EXPECT_EQ(Counter("requests", "GET /api/2.2/jobs/runs/get"), 0);
  Reply clock = Call("GET", "/emulator/v1/clock", "", "");
  EXPECT_EQ(At(clock.body, "now_ms").as_int(), kStartMs);
  Advance(2.5);
  EXPECT_EQ(At(Call("GET", "/emulator/v1/clock", "", "").body, "now_ms").as_int(), kStartMs + 2500);
  EXPECT_EQ(Call("POST", "/emulator/v1/clock/advance", R"({"ms":-1})", "").status, 400);
  EXPECT_EQ(Get("/api/9.9/nothing").status, 404);
}

TEST(EmulatorConfigTest, ErrorsNameTheirPath) {
  absl::StatusOr<EmulatorOptions> options = ParseOptionsYaml(R"(
jobs:
  runing_seconds: 2
sql:
  warehouses:
    - {id: w, state: PAUSED}
throttles:
  - {endpoint: "*", rate_per_second: 0}
)");
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("jobs.runing_seconds: unknown key"));
  EXPECT_THAT(options.status().message(),
              HasSubstr("sql.warehouses[0].state: must be RUNNING or STOPPED"));
  EXPECT_THAT(options.status().message(), HasSubstr("throttles[0].rate_per_second: must be > 0"));
  EXPECT_TRUE(ParseOptionsYaml(gateway::testing::ReadFile(
                                   gateway::testing::Runfile("tests/emulator/emulator.yaml")))
                  .ok());
}

}  // namespace
}  // namespace emulator
