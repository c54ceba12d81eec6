#include "server/config/config.h"

#include <map>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

EnvReader FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](absl::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char kKeyHash[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

constexpr char kGoodConfig[] = R"yaml(
server:
  grpc_address: 127.0.0.1:0
  admin_address: 127.0.0.1:9191
  drain_seconds: 5
  log_level: debug
workspaces:
  - name: prod
    host: https://127.0.0.1:8443
    timeout_seconds: 45
    rate_limit_rps: 50
    retry: {max_retries: 5, base_backoff_ms: 25}
    circuit_breaker: {failure_threshold: 7}
    default_warehouse_id: wh-1
credential_pools:
  - name: etl
    workspace: prod
    credentials:
      - name: pat-a
        type: pat
        token: {env: ETL_TOKEN}
      - name: sp-b
        type: oauth_m2m
        client_id: 0f1e2d3c
        client_secret: {env: ETL_CLIENT_SECRET}
      - name: az-c
        type: azure_service_principal
        client_id: 11112222
        azure_tenant_id: 33334444
        client_secret: {env: ETL_AZURE_SECRET}
tenants:
  - name: analytics
    api_key_sha256: [9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08]
    credential_pool: etl
    access:
      methods: ["SqlService/GetWarehouse", "CatalogService/*"]
      schemas: ["main.*"]
    quota:
      requests_per_second: 20
      burst: 40
      max_concurrent: 8
      methods:
        - {method: "JobsService/WaitRun", max_concurrent: 4, shadow: true}
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml";

const std::map<std::string, std::string> kGoodEnv = {
    {"ETL_TOKEN", "dapi0123456789abcdef"},
    {"ETL_CLIENT_SECRET", "m2m-secret-value-1"},
    {"ETL_AZURE_SECRET", "azure-secret-value-2"},
    {"HANDLE_KEY", "handle-signing-key-3-padded-to-32-bytes"},
};

// The config's errors, one per line.
std::string Errors(absl::string_view yaml, std::map<std::string, std::string> env = kGoodEnv) {
  absl::StatusOr<GatewayConfig> config = ParseConfig(yaml, FakeEnv(std::move(env)));
  EXPECT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

constexpr char kMinimal[] = R"yaml(
workspaces:
  - name: w
    host: https://127.0.0.1:8444
credential_pools:
  - name: p
    workspace: w
    credentials:
      - {name: c, type: pat, token: {env: ETL_TOKEN}}
)yaml";

TEST(ParseConfigTest, GoodFileFillsEveryComponentsOptions) {
  absl::StatusOr<GatewayConfig> config = ParseConfig(kGoodConfig, FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.grpc_address, "127.0.0.1:0");
  EXPECT_EQ(config->server.drain_seconds, 5);
  EXPECT_EQ(config->server.log_level, LogLevel::kDebug);
  ASSERT_EQ(config->workspaces.size(), 1u);
  const upstream::WorkspaceOptions& w = config->workspaces[0];
  EXPECT_EQ(w.host, "https://127.0.0.1:8443");
  EXPECT_EQ(w.timeout_seconds, 45);
  EXPECT_EQ(w.rate_limit_rps, 50);
  EXPECT_EQ(w.retry.max_retries, 5);
  EXPECT_EQ(w.retry.base_backoff_ms, 25);
  EXPECT_EQ(w.retry.max_backoff_ms, 10'000);  // default kept
  EXPECT_EQ(w.circuit_breaker.failure_threshold, 7);
  EXPECT_EQ(w.default_warehouse_id, "wh-1");
  EXPECT_EQ(w.default_catalog, "main");
  ASSERT_EQ(config->credential_pools.size(), 1u);
  const auto& creds = config->credential_pools[0].credentials;
  ASSERT_EQ(creds.size(), 3u);
  EXPECT_EQ(creds[0].type, credentials::CredentialType::kPat);
  EXPECT_EQ(creds[0].token.Describe(), "env:ETL_TOKEN");
  EXPECT_EQ(creds[1].type, credentials::CredentialType::kOAuthM2M);
  EXPECT_EQ(creds[1].client_id, "0f1e2d3c");
  EXPECT_EQ(creds[2].type, credentials::CredentialType::kAzureServicePrincipal);
  EXPECT_EQ(creds[2].azure_tenant_id, "33334444");
  ASSERT_EQ(config->tenants.size(), 1u);
  const auth::TenantOptions& t = config->tenants[0];
  EXPECT_EQ(t.api_key_sha256, std::vector<std::string>{kKeyHash});
  EXPECT_EQ(t.access.methods,
            (std::vector<std::string>{"SqlService/GetWarehouse", "CatalogService/*"}));
  EXPECT_EQ(t.access.warehouses, std::vector<std::string>{"*"});
  EXPECT_EQ(t.quota.tenant.burst, 40);
  EXPECT_EQ(t.quota.tenant.max_concurrent, 8);
  ASSERT_EQ(t.quota.methods.size(), 1u);
  EXPECT_EQ(t.quota.methods[0].method, "JobsService/WaitRun");
  EXPECT_EQ(t.quota.methods[0].rule.max_concurrent, 4);
  EXPECT_TRUE(t.quota.methods[0].rule.shadow);
  EXPECT_EQ(t.quota.methods[0].rule.requests_per_second, 0);
  EXPECT_FALSE(t.dry_run);
  EXPECT_TRUE(config->has_handle_signing_key);
}

TEST(ParseConfigTest, TenantDryRunIsABoolean) {
  const std::string good = absl::StrReplaceAll(
      kGoodConfig,
      {{"    credential_pool: etl\n", "    credential_pool: etl\n    dry_run: true\n"}});
  absl::StatusOr<GatewayConfig> config = ParseConfig(good, FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tenants[0].dry_run);
  EXPECT_THAT(RedactedYaml(*config), HasSubstr("dry_run: true"));

  const std::string bad = absl::StrReplaceAll(
      kGoodConfig,
      {{"    credential_pool: etl\n", "    credential_pool: etl\n    dry_run: maybe\n"}});
  config = ParseConfig(bad, FakeEnv(kGoodEnv));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr("tenants[0].dry_run: must be true or false, not \"maybe\""));
}

TEST(ParseConfigTest, TenantWeightsAndWorkspacePacing) {
  const std::string good = absl::StrReplaceAll(
      kGoodConfig, {{"    credential_pool: etl\n", "    credential_pool: etl\n    weight: 2.5\n"},
                    {"    host: https://127.0.0.1:8443\n",
                     "    host: https://127.0.0.1:8443\n"
                     "    pacing: {controller: aimd, min_rate: 2, queue_per_tenant: 50,\n"
                     "             rates: {jobs.runs.submit: 35}}\n"}});
  absl::StatusOr<GatewayConfig> config = ParseConfig(good, FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tenants[0].weight, 2.5);
  const upstream::PacingOptions& pacing = config->workspaces[0].pacing;
  EXPECT_EQ(pacing.controller, "aimd");
  EXPECT_EQ(pacing.min_rate, 2);
  EXPECT_EQ(pacing.queue_per_tenant, 50);
  EXPECT_EQ(pacing.rates, (std::map<std::string, double>{{"jobs.runs.submit", 35}}));
  EXPECT_THAT(RedactedYaml(*config), HasSubstr("jobs.runs.submit: 35"));

  const std::string bad = absl::StrReplaceAll(
      kGoodConfig, {{"    credential_pool: etl\n", "    credential_pool: etl\n    weight: 0\n"},
                    {"    host: https://127.0.0.1:8443\n",
                     "    host: https://127.0.0.1:8443\n"
                     "    pacing: {controller: vegas, rates: {jobs.runs.get: fast}}\n"}});
  config = ParseConfig(bad, FakeEnv(kGoodEnv));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("tenants[0].weight"));
  EXPECT_THAT(config.status().message(),
              HasSubstr("pacing.controller: must be gradient or aimd, not 'vegas'"));
  EXPECT_THAT(config.status().message(), HasSubstr("pacing.rates.jobs.runs.get"));
}

TEST(ParseConfigTest, UnknownKeyIsNamedWithItsPath) {
  EXPECT_EQ(Errors(R"yaml(
workspaces:
  - name: w
    hots: https://127.0.0.1:8445
)yaml"),
            "workspaces[0].hots: unknown key (expected one of: name, host, allow_plaintext, "
            "ca_file, timeout_seconds, connect_timeout_ms, max_connections, "
            "idle_timeout_seconds, max_response_bytes, rate_limit_rps, rate_limit_burst, "
            "pacing, retry, circuit_breaker, default_warehouse_id, "
            "default_catalog, default_schema, streaming_notebook_path)\n"
            "workspaces[0].host: is required (the workspace URL, https://<workspace host>)");
}

TEST(ParseConfigTest, UnknownTopLevelKey) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "listeners: {}\n"),
              HasSubstr("listeners: unknown key (expected one of: server, workspaces, "
                        "credential_pools, tenants, redis, record, audit, security)"));
}

TEST(ParseConfigTest, AuditGoesToStandardOutputOrAFile) {
  absl::StatusOr<GatewayConfig> config = ParseConfig(kMinimal, FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->audit.path, "-");
  config = ParseConfig(std::string(kMinimal) + "audit: {path: /var/log/gateway-audit.jsonl}\n",
                       FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->audit.path, "/var/log/gateway-audit.jsonl");
  EXPECT_THAT(Errors(std::string(kMinimal) + "audit: {path: \"\"}\n"),
              HasSubstr("audit.path: must be \"-\" (standard output) or a file"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "audit: {level: info}\n"),
              HasSubstr("audit.level: unknown key"));
}

TEST(ParseConfigTest, RecordSectionAndItsLimits) {
  absl::StatusOr<GatewayConfig> config = ParseConfig(
      std::string(kGoodConfig) +
          "record: {path: /tmp/x.jsonl, max_bytes: 8192, max_files: 0, redact_fields: [ssn]}\n",
      FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->record.path, "/tmp/x.jsonl");
  EXPECT_EQ(config->record.max_bytes, 8192);
  EXPECT_EQ(config->record.max_files, 0);
  EXPECT_EQ(config->record.redact_fields, std::vector<std::string>{"ssn"});
  EXPECT_THAT(RedactedYaml(*config), HasSubstr("path: /tmp/x.jsonl"));
  // Off by default, and then not in the dump.
  config = ParseConfig(kGoodConfig, FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->record.path.empty());
  EXPECT_THAT(RedactedYaml(*config), Not(HasSubstr("record")));

  const std::string errors =
      Errors(std::string(kMinimal) + "record: {path: x, max_bytes: 10, max_files: 101, sink: y}\n");
  EXPECT_THAT(errors, HasSubstr("record.max_bytes: must be between 4096 and"));
  EXPECT_THAT(errors, HasSubstr("record.max_files: must be between 0 and 100, not 101"));
  EXPECT_THAT(errors, HasSubstr("record.sink"));
}

TEST(ParseConfigTest, WrongTypesAndRanges) {
  const std::string errors = Errors(std::string(kMinimal) + R"yaml(
server:
  drain_seconds: soon
  max_message_bytes: 12
  log_level: loud
  grpc_address: localhost
redis:
  enabled: yes
)yaml");
  EXPECT_THAT(errors, HasSubstr("server.drain_seconds: must be an integer, not \"soon\""));
  EXPECT_THAT(errors,
              HasSubstr("server.max_message_bytes: must be between 1024 and 1073741824, not 12"));
  EXPECT_THAT(errors, HasSubstr("server.log_level: unknown log level \"loud\""));
  EXPECT_THAT(errors, HasSubstr("server.grpc_address: must be host:port with a port from 0 to "
                                "65535, not \"localhost\""));
  EXPECT_THAT(errors, HasSubstr("redis.enabled: must be true or false, not \"yes\""));
  EXPECT_THAT(Errors(std::string(kMinimal) + "server: {admin_address: \"admin.local:9090\"}\n"),
              HasSubstr("server.admin_address: must name an IP address or localhost, not "
                        "\"admin.local\""));
}

TEST(ParseConfigTest, InlineSecretIsRefusedWithoutEchoingIt) {
  const std::string errors = Errors(R"yaml(
workspaces: [{name: w, host: "https://127.0.0.1:8445"}]
credential_pools:
  - name: p
    workspace: w
    credentials: [{name: c, type: pat, token: dapi0123456789abcdef}]
)yaml");
  EXPECT_EQ(errors,
            "credential_pools[0].credentials[0].token: must be {env: VARIABLE} or {file: PATH}; "
            "secrets are never written in the config file");
  EXPECT_THAT(errors, Not(HasSubstr("dapi0123456789abcdef")));
}

TEST(ParseConfigTest, MalformedSecretReferences) {
  const std::string errors = Errors(R"yaml(
workspaces: [{name: w, host: "https://127.0.0.1:8445"}]
credential_pools:
  - name: p
    workspace: w
    credentials:
      - {name: a, type: pat, token: {env: T, file: /x}}
      - {name: b, type: pat, token: {env: ""}}
      - {name: c, type: pat, token: {vault: T}}
)yaml");
  EXPECT_EQ(errors,
            "credential_pools[0].credentials[0].token: must have exactly one of env or file\n"
            "credential_pools[0].credentials[1].token: names an empty variable or path\n"
            "credential_pools[0].credentials[2].token.vault: unknown key (expected one of: env, "
            "file)\n"
            "credential_pools[0].credentials[2].token: must have exactly one of env or file");
}

TEST(ParseConfigTest, CredentialFieldsMustMatchTheType) {
  const std::string errors = Errors(R"yaml(
workspaces: [{name: w, host: "https://127.0.0.1:8445"}]
credential_pools:
  - name: p
    workspace: w
    credentials:
      - {name: a, type: oauth_m2m, token: {env: ETL_TOKEN}}
      - {name: b, type: azure_service_principal, client_id: x, client_secret: {env: ETL_TOKEN}}
      - {name: c, type: kerberos}
)yaml");
  EXPECT_THAT(errors, HasSubstr("credential_pools[0].credentials[0].client_id: is required for "
                                "type oauth_m2m"));
  EXPECT_THAT(errors, HasSubstr("credential_pools[0].credentials[0].token: does not apply to type "
                                "oauth_m2m"));
  EXPECT_THAT(errors, HasSubstr("credential_pools[0].credentials[1].azure_tenant_id: is required "
                                "for type azure_service_principal"));
  EXPECT_THAT(errors, HasSubstr("credential_pools[0].credentials[2].type: unknown type "
                                "\"kerberos\" (expected pat, oauth_m2m or "
                                "azure_service_principal)"));
}

TEST(ParseConfigTest, QuotaRulesAndMethodPatternsAreChecked) {
  const std::string errors = Errors(std::string(kMinimal) + R"yaml(
credential_pools: [{name: p, workspace: w, credentials: [{name: c, type: pat, token: {env: ETL_TOKEN}}]}]
tenants:
  - name: a
    api_key_sha256: [9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08]
    credential_pool: p
    access: {methods: ["JobsService/*", "Jobs/SubmitRun", "SqlService/"]}
    quota:
      max_concurrent: 3
      global: true
      methods:
        - {method: "DeltaService/*", requests_per_second: 5}
        - {method: "*", burst: 2, global: true, requests_per_second: 1}
        - {method: "SqlService/ExecuteStatement", rate: 3}
)yaml");
  EXPECT_THAT(errors, HasSubstr("tenants[0].access.methods[1]: must be \"*\" or "
                                "\"Service/Method\" (a method name or a prefix ending in *) with "
                                "a service among JobsService, SqlService, DeltaService, "
                                "CatalogService, not \"Jobs/SubmitRun\""));
  EXPECT_THAT(errors, HasSubstr("tenants[0].access.methods[2]: must be"));
  EXPECT_THAT(errors, HasSubstr("tenants[0].quota.global: applies to a rate; set "
                                "requests_per_second"));
  EXPECT_THAT(errors, HasSubstr("tenants[0].quota.methods[0].burst: must be > 0 when "
                                "requests_per_second is set"));
  EXPECT_THAT(errors, HasSubstr("tenants[0].quota.methods[1].global: needs redis.enabled: true"));
  EXPECT_THAT(errors, HasSubstr("tenants[0].quota.methods[2].rate: unknown key"));
  EXPECT_THAT(errors, Not(HasSubstr("access.methods[0]")));
}

TEST(ParseConfigTest, ReferencesAndDuplicates) {
  const std::string errors = Errors(std::string(kMinimal) + R"yaml(
tenants:
  - name: a
    api_key_sha256: [9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08]
    credential_pool: nope
  - name: a
    api_key_sha256: [9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08, abc]
    credential_pool: p
)yaml");
  EXPECT_THAT(errors, HasSubstr("tenants[0].credential_pool: names no configured credential pool "
                                "(\"nope\")"));
  EXPECT_THAT(errors, HasSubstr("tenants[1].name: duplicate tenant name \"a\""));
  EXPECT_THAT(errors, HasSubstr("tenants[1].api_key_sha256[0]: is already used by another "
                                "tenant or entry"));
  EXPECT_THAT(errors, HasSubstr("tenants[1].api_key_sha256[1]: must be 64 hex digits"));
}

TEST(ParseConfigTest, PlaintextHostNeedsExplicitOptIn) {
  EXPECT_THAT(Errors(R"yaml(
workspaces: [{name: w, host: "http://127.0.0.1:8080"}]
)yaml"),
              HasSubstr("workspaces[0].host: uses http://; Databricks is reached over https:// "
                        "only"));
  absl::StatusOr<GatewayConfig> ok = ParseConfig(R"yaml(
workspaces: [{name: w, host: "http://127.0.0.1:8080", allow_plaintext: true}]
credential_pools: [{name: p, workspace: w, credentials: [{name: c, type: pat, token: {env: T}}]}]
)yaml",
                                                 FakeEnv({{"T", "dapi0123456789abcdef"}}));
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST(ParseConfigTest, StrictModeNamesMissingAndPlaceholderSecrets) {
  const std::string errors =
      Errors(kGoodConfig, {{"ETL_TOKEN", "your-token"},
                           {"ETL_AZURE_SECRET", ""},
                           {"HANDLE_KEY", "k-123456789-padded-to-32-bytes-long"}});
  EXPECT_THAT(errors, HasSubstr("credential_pools[0].credentials[0].token: env:ETL_TOKEN holds a "
                                "placeholder, not a real secret"));
  EXPECT_THAT(errors, HasSubstr("credential_pools[0].credentials[1].client_secret: environment "
                                "variable ETL_CLIENT_SECRET is not set"));
  EXPECT_THAT(errors, HasSubstr("credential_pools[0].credentials[2].client_secret: "
                                "env:ETL_AZURE_SECRET is empty"));
  EXPECT_THAT(errors, Not(HasSubstr("your-token")));
}

TEST(ParseConfigTest, ShortSigningKeyIsRefusedWithTheReasonNotTheKey) {
  for (const bool strict : {true, false}) {
    std::map<std::string, std::string> env = kGoodEnv;
    env["HANDLE_KEY"] = "abc";
    const std::string yaml =
        strict ? std::string(kGoodConfig)
               : absl::StrReplaceAll(kGoodConfig,
                                     {{"security:\n", "security:\n  strict_secrets: false\n"}});
    const std::string errors = Errors(yaml, env);
    EXPECT_THAT(errors, HasSubstr("security.handle_signing_key: must be at least 32 bytes (it has "
                                  "3); make one with: openssl rand -base64 48"))
        << "strict: " << strict;
    EXPECT_THAT(errors, Not(HasSubstr("abc")));
  }
  std::map<std::string, std::string> env = kGoodEnv;
  env["HANDLE_KEY"] = std::string(32, 'k');
  EXPECT_TRUE(ParseConfig(kGoodConfig, FakeEnv(env)).ok());
}

TEST(ParseConfigTest, TenantNamesAreMarkSafe) {
  for (const char* bad : {"team a", "a]", "[gw:b", "x/y", "t\u00e9"}) {
    const std::string yaml = absl::StrReplaceAll(
        kGoodConfig, {{"- name: analytics\n", absl::StrCat("- name: \"", bad, "\"\n")}});
    ASSERT_NE(yaml, kGoodConfig);
    EXPECT_THAT(Errors(yaml), HasSubstr("use 1-64 letters, digits, '-', '_' or '.'")) << bad;
  }
}

TEST(ParseConfigTest, SchemaRulesWithMethodsThatStepAroundThemAreRefused) {
  for (const char* methods : {R"(["*"])", R"(["JobsService/*"])", R"(["JobsService/Submit*"])",
                              R"(["JobsService/RunNow"])", R"(["JobsService/CreateJob"])"}) {
    const std::string yaml = absl::StrReplaceAll(
        kGoodConfig, {{R"(methods: ["SqlService/GetWarehouse", "CatalogService/*"])",
                       absl::StrCat("methods: ", methods)}});
    ASSERT_NE(yaml, kGoodConfig);
    EXPECT_THAT(Errors(yaml), HasSubstr("tenants[0].access: tenant 'analytics' has schema rules "
                                        "(access.schemas) but may call "))
        << methods;
  }
  // Warehouse and secret-scope rules are as unenforceable against task code.
  for (const char* rule : {"warehouses: [wh-1]", "secret_scopes: [analytics]"}) {
    const std::string yaml = absl::StrReplaceAll(
        kGoodConfig, {{R"(methods: ["SqlService/GetWarehouse", "CatalogService/*"])",
                       absl::StrCat(R"(methods: ["JobsService/*"])", "\n      ", rule)},
                      {R"(schemas: ["main.*"])", R"(schemas: ["*"])"}});
    EXPECT_THAT(Errors(yaml), HasSubstr("but may call JobsService/SubmitRun")) << rule;
  }
  // SQL text is checked against the rules, so raw SQL and loads may go with them.
  const std::string sql = absl::StrReplaceAll(
      kGoodConfig, {{R"(methods: ["SqlService/GetWarehouse", "CatalogService/*"])",
                     R"(methods: ["SqlService/*", "DeltaService/*", "JobsService/GetRun"])"}});
  EXPECT_TRUE(ParseConfig(sql, FakeEnv(kGoodEnv)).ok());
  // With every schema allowed, the credential pool's grants are the boundary.
  const std::string open = absl::StrReplaceAll(
      kGoodConfig,
      {{R"(methods: ["SqlService/GetWarehouse", "CatalogService/*"])", R"(methods: ["*"])"},
       {R"(schemas: ["main.*"])", R"(schemas: ["*"])"}});
  EXPECT_TRUE(ParseConfig(open, FakeEnv(kGoodEnv)).ok());
}

TEST(ParseConfigTest, AdminTokenIsASecretReference) {
  const std::string yaml = absl::StrReplaceAll(
      kGoodConfig, {{"server:\n", "server:\n  admin_token: {env: ADMIN_TOKEN}\n"}});
  std::map<std::string, std::string> env = kGoodEnv;
  EXPECT_THAT(Errors(yaml, env),
              HasSubstr("server.admin_token: environment variable ADMIN_TOKEN is not set"));
  env["ADMIN_TOKEN"] = "admin-token-value-0123456789";
  absl::StatusOr<GatewayConfig> config = ParseConfig(yaml, FakeEnv(env));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->server.has_admin_token);
  const std::string dump = RedactedYaml(*config);
  EXPECT_THAT(dump, HasSubstr("admin_token: {env: ADMIN_TOKEN}"));
  EXPECT_THAT(dump, Not(HasSubstr("admin-token-value")));
}

TEST(ParseConfigTest, NonStrictModeAcceptsMissingSecrets) {
  absl::StatusOr<GatewayConfig> config =
      ParseConfig(std::string(kMinimal) + "security: {strict_secrets: false}\n", FakeEnv({}));
  EXPECT_TRUE(config.ok()) << config.status();
}

TEST(ParseConfigTest, EveryErrorIsReportedAtOnce) {
  const std::string errors = Errors("server: {drain_seconds: -1}\ntenants: [{name: t}]\n");
  EXPECT_EQ(errors,
            "server.drain_seconds: must be between 0 and 3600, not -1\n"
            "tenants[0]: needs at least one api_key_sha256 or mtls_identities entry\n"
            "workspaces: at least one workspace is required (or set DATABRICKS_HOST)\n"
            "tenants[0].credential_pool: is required\n"
            "security.handle_signing_key: is required with tenants: run and statement handles "
            "are signed with it, so that every replica can tell a tenant's handles from "
            "another's");
}

TEST(ParseConfigTest, TlsNeedsItsFilesInPairs) {
  std::string errors = Errors(std::string(kMinimal) +
                              "server: {tls: {cert_file: /nonexistent/server.pem, "
                              "require_client_cert: true}}\n");
  EXPECT_THAT(errors, HasSubstr("server.tls: needs both cert_file and key_file"));
  EXPECT_THAT(errors, HasSubstr("server.tls.require_client_cert: needs client_ca_file"));
  EXPECT_THAT(errors, HasSubstr("server.tls.cert_file: cannot read \"/nonexistent/server.pem\""));
  errors = Errors(std::string(kMinimal) + "server: {tls: {client_ca_file: ca.pem, port: 1}}\n");
  EXPECT_THAT(errors, HasSubstr("server.tls.port: unknown key"));
  EXPECT_THAT(errors, HasSubstr("server.tls.client_ca_file: needs cert_file and key_file"));
}

TEST(ParseConfigTest, MtlsIdentitiesNeedClientCertificates) {
  const std::string errors = Errors(std::string(kMinimal) + R"yaml(
tenants:
  - {name: t, mtls_identities: [svc-a], credential_pool: p}
security: {handle_signing_key: {env: HANDLE_KEY}}
)yaml");
  EXPECT_THAT(errors, HasSubstr("tenants[0].mtls_identities: needs server.tls.client_ca_file"));
}

TEST(ParseConfigTest, YamlSyntaxErrorNamesLineAndColumn) {
  EXPECT_THAT(Errors("workspaces: [\n  {name: w\n"), HasSubstr("line 3, column 1: "));
}

TEST(ParseConfigTest, EnvironmentAloneDescribesTheDefaultWorkspace) {
  absl::StatusOr<GatewayConfig> config =
      ParseConfig("", FakeEnv({{"DATABRICKS_HOST", "https://127.0.0.1:8446"},
                               {"DATABRICKS_TOKEN", "dapi0123456789abcdef"},
                               {"DATABRICKS_TIMEOUT_SECS", "12"},
                               {"DATABRICKS_RATE_LIMIT", "7.5"},
                               {"DATABRICKS_MAX_RETRIES", "1"},
                               {"DATABRICKS_WAREHOUSE_ID", "wh-9"},
                               {"DATABRICKS_CATALOG", "sales"},
                               {"DATABRICKS_SCHEMA", "reporting"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->workspaces.size(), 1u);
  const upstream::WorkspaceOptions& w = config->workspaces[0];
  EXPECT_EQ(w.name, "default");
  EXPECT_EQ(w.host, "https://127.0.0.1:8446");
  EXPECT_EQ(w.timeout_seconds, 12);
  EXPECT_EQ(w.rate_limit_rps, 7.5);
  EXPECT_EQ(w.retry.max_retries, 1);
  EXPECT_EQ(w.default_warehouse_id, "wh-9");
  EXPECT_EQ(w.default_catalog, "sales");
  EXPECT_EQ(w.default_schema, "reporting");
  ASSERT_EQ(config->credential_pools.size(), 1u);
  EXPECT_EQ(config->credential_pools[0].name, "default");
  EXPECT_EQ(config->credential_pools[0].workspace, "default");
  ASSERT_EQ(config->credential_pools[0].credentials.size(), 1u);
  EXPECT_EQ(config->credential_pools[0].credentials[0].token.Describe(), "env:DATABRICKS_TOKEN");
}

TEST(ParseConfigTest, EnvironmentOverridesTheFileForTheDefaultWorkspaceOnly) {
  absl::StatusOr<GatewayConfig> config =
      ParseConfig(R"yaml(
workspaces:
  - {name: default, host: "https://127.0.0.1:8447", timeout_seconds: 90}
  - {name: other, host: "https://127.0.0.1:8448", timeout_seconds: 90}
credential_pools:
  - name: default
    workspace: default
    credentials: [{name: file-pat, type: pat, token: {env: FILE_TOKEN}}]
)yaml",
                  FakeEnv({{"DATABRICKS_HOST", "https://127.0.0.1:8449"},
                           {"DATABRICKS_TIMEOUT_SECS", "15"},
                           {"FILE_TOKEN", "dapi0123456789abcdef"},
                           {"DATABRICKS_CLIENT_ID", "cid"},
                           {"DATABRICKS_CLIENT_SECRET", "m2m-secret-1"},
                           {"AZURE_TENANT_ID", "tid"},
                           {"AZURE_CLIENT_ID", "aid"},
                           {"AZURE_CLIENT_SECRET", "az-secret-2"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->workspaces[0].host, "https://127.0.0.1:8449");
  EXPECT_EQ(config->workspaces[0].timeout_seconds, 15);
  EXPECT_EQ(config->workspaces[1].timeout_seconds, 90);
  const auto& creds = config->credential_pools[0].credentials;
  ASSERT_EQ(creds.size(), 3u);
  EXPECT_EQ(creds[0].name, "file-pat");
  EXPECT_EQ(creds[1].name, "env-oauth-m2m");
  EXPECT_EQ(creds[1].client_id, "cid");
  EXPECT_EQ(creds[2].name, "env-azure-sp");
  EXPECT_EQ(creds[2].azure_tenant_id, "tid");
}

TEST(ParseConfigTest, BadEnvironmentValuesAreNamed) {
  const std::string errors = Errors("", {{"DATABRICKS_HOST", "https://127.0.0.1:8446"},
                                         {"DATABRICKS_TOKEN", "dapi0123456789abcdef"},
                                         {"DATABRICKS_TIMEOUT_SECS", "thirty"},
                                         {"DATABRICKS_RATE_LIMIT", "-4"},
                                         {"DATABRICKS_CLIENT_SECRET", "orphan-secret"}});
  EXPECT_THAT(errors, HasSubstr("env DATABRICKS_TIMEOUT_SECS: must be an integer, not \"thirty\""));
  EXPECT_THAT(errors, HasSubstr("env DATABRICKS_RATE_LIMIT: must be >= 0.001, not -4"));
  EXPECT_THAT(errors,
              HasSubstr("env DATABRICKS_CLIENT_SECRET: is set without DATABRICKS_CLIENT_ID"));
  EXPECT_THAT(errors, Not(HasSubstr("orphan-secret")));
}

TEST(ParseConfigTest, EnvironmentSettingWithoutADefaultWorkspaceIsAnError) {
  EXPECT_THAT(
      Errors(kMinimal, {{"ETL_TOKEN", "dapi0123456789abcdef"}, {"DATABRICKS_WAREHOUSE_ID", "wh"}}),
      HasSubstr("env DATABRICKS_WAREHOUSE_ID: is set, but there is no workspace named "
                "\"default\""));
}

TEST(RedactedYamlTest, ShowsReferencesNeverValues) {
  absl::StatusOr<GatewayConfig> config = ParseConfig(kGoodConfig, FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string dump = RedactedYaml(*config);
  for (const auto& [name, value] : kGoodEnv) {
    EXPECT_THAT(dump, Not(HasSubstr(value))) << name;
  }
  EXPECT_THAT(dump, HasSubstr("token: {env: ETL_TOKEN}"));
  EXPECT_THAT(dump, HasSubstr("api_key_sha256: [9f86d081...]"));
  EXPECT_THAT(dump, Not(HasSubstr(kKeyHash)));
  EXPECT_THAT(dump, HasSubstr("host: https://127.0.0.1:8443"));
}

TEST(SecretRefsTest, ListsEverySecretReference) {
  absl::StatusOr<GatewayConfig> config = ParseConfig(kGoodConfig, FakeEnv(kGoodEnv));
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<std::string> names;
  for (const SecretRef& ref : SecretRefs(*config)) names.push_back(ref.Describe());
  EXPECT_EQ(names, (std::vector<std::string>{"env:ETL_TOKEN", "env:ETL_CLIENT_SECRET",
                                             "env:ETL_AZURE_SECRET", "env:HANDLE_KEY"}));
}

}  // namespace
}  // namespace gateway::config
