// The tenant boundary under attack: what a tenant who wants another's runs and jobs sends,
// what one tenant's careless calls would do to the others, and what the gateway must never
// let out. The gateway binary against the emulator binary over loopback; two tenants share
// one credential pool, as the gateway's own pooling invites. docs/security.md has the
// threat model these tests hold the gateway to.
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "server/common/json.h"
#include "tests/harness/process.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::ErrorInfoOf;
using ::gateway::testing::SeriesValue;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEmulator[] = R"yaml(
jobs:
  pending_seconds: 30
sql:
  warehouses: [{id: wh1, name: Main, state: RUNNING}]
  timings: [{contains: "slow_marker", execution_seconds: 120}]
catalog:
  catalogs: {main: [default]}
)yaml";

// Tenants alpha and mallory on one pool, then `more_tenants` (YAML list items), then
// `sections` (more top-level sections).
std::string GatewayYaml(const std::string& more_tenants, const std::string& sections) {
  return absl::StrCat(
      absl::StrReplaceAll(
          R"yaml(
credential_pools:
  - name: shared
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - {name: alpha, api_key_sha256: [ALPHA], credential_pool: shared}
  - {name: mallory, api_key_sha256: [MALLORY], credential_pool: shared}
)yaml",
          {{"ALPHA", Sha256Hex("alpha-key")}, {"MALLORY", Sha256Hex("mallory-key")}}),
      more_tenants, "security:\n  handle_signing_key: {env: HANDLE_KEY}\n", sections);
}

StackOptions Options(const std::string& more_tenants = "", const std::string& sections = "") {
  StackOptions options;
  options.emulator_yaml = kEmulator;
  options.workspace_yaml =
      "    default_warehouse_id: wh1\n"
      "    rate_limit_rps: 100000\n"
      "    rate_limit_burst: 100000\n";
  options.gateway_yaml = GatewayYaml(more_tenants, sections);
  options.gateway_env = {{"HANDLE_KEY", "security-test-handle-signing-key-0123456789"}};
  return options;
}

v1::SubmitRunRequest NotebookRun(const std::string& name) {
  v1::SubmitRunRequest request;
  request.set_run_name(name);
  v1::Task* task = request.add_tasks();
  task->set_task_key("main");
  task->set_existing_cluster_id("cluster-1");
  task->mutable_notebook_task()->set_notebook_path("/Workspace/etl");
  return request;
}

v1::CreateJobRequest NotebookJob(const std::string& name) {
  v1::CreateJobRequest request;
  request.mutable_settings()->set_name(name);
  v1::Task* task = request.mutable_settings()->add_tasks();
  task->set_task_key("main");
  task->set_existing_cluster_id("cluster-1");
  task->mutable_notebook_task()->set_notebook_path("/Workspace/etl");
  return request;
}

// The Databricks id inside a handle ("ID.MAC").
std::string IdOf(const std::string& handle) { return handle.substr(0, handle.find('.')); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OwnershipTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new Stack("security-ownership", Options()); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(stack_->ok()) << stack_->error();
    alpha_ = v1::JobsService::NewStub(stack_->ChannelWithKey("alpha-key"));
    mallory_ = v1::JobsService::NewStub(stack_->ChannelWithKey("mallory-key"));
  }

  static std::string Submit(v1::JobsService::Stub& stub, const std::string& name) {
    v1::SubmitRunResponse response;
    const grpc::Status status = stub.SubmitRun(Context().get(), NotebookRun(name), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.run_id();
  }

  static int64_t Create(v1::JobsService::Stub& stub, const std::string& name) {
    v1::CreateJobResponse response;
    const grpc::Status status = stub.CreateJob(Context().get(), NotebookJob(name), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.job_id();
  }

  // Every run a tenant can list, page after page, with `request`'s filters.
  static std::vector<v1::Run> ListAll(v1::JobsService::Stub& stub, v1::ListRunsRequest request) {
    std::vector<v1::Run> runs;
    for (int page = 0; page < 100; ++page) {
      v1::ListRunsResponse response;
      const grpc::Status status = stub.ListRuns(Context().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      runs.insert(runs.end(), response.runs().begin(), response.runs().end());
      if (response.next_page_token().empty()) return runs;
      request.set_page_token(response.next_page_token());
    }
    ADD_FAILURE() << "the listing never ended";
    return runs;
  }

  static Stack* stack_;
  std::unique_ptr<v1::JobsService::Stub> alpha_;
  std::unique_ptr<v1::JobsService::Stub> mallory_;
};

Stack* OwnershipTest::stack_ = nullptr;

TEST_F(OwnershipTest, ListRunsGivesNoHandleToAnotherTenantsRun) {
  const std::string secret_run = Submit(*alpha_, "alpha-secret-run");
  const std::string own_run = Submit(*mallory_, "mallory-run");
  for (int page_size : {0, 1, 24}) {
    v1::ListRunsRequest request;
    request.set_page_size(page_size);
    const std::vector<v1::Run> listed = ListAll(*mallory_, request);
    std::set<std::string> ids;
    for (const v1::Run& run : listed) {
      ids.insert(IdOf(run.run_id()));
      EXPECT_NE(run.run_name(), "alpha-secret-run");
    }
    EXPECT_EQ(ids.count(IdOf(secret_run)), 0u) << "page_size " << page_size;
    EXPECT_EQ(ids.count(IdOf(own_run)), 1u) << "page_size " << page_size;
  }
  // Every method that takes a run handle refuses alpha's run id however mallory writes it,
  // exactly as it refuses a run that does not exist.
  for (const std::string& forged : {secret_run, IdOf(secret_run), IdOf(secret_run) + ".AAAA"}) {
    v1::CancelRunRequest cancel;
    cancel.set_run_id(forged);
    v1::CancelRunResponse cancelled;
    EXPECT_EQ(mallory_->CancelRun(Context().get(), cancel, &cancelled).error_code(),
              grpc::StatusCode::NOT_FOUND);
    v1::GetRunRequest get;
    get.set_run_id(forged);
    v1::GetRunResponse got;
    EXPECT_EQ(mallory_->GetRun(Context().get(), get, &got).error_code(),
              grpc::StatusCode::NOT_FOUND);
    v1::GetRunOutputRequest output;
    output.set_run_id(forged);
    v1::GetRunOutputResponse out;
    EXPECT_EQ(mallory_->GetRunOutput(Context().get(), output, &out).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // Alpha's run was never touched: still pending, not cancelled.
  v1::GetRunRequest get;
  get.set_run_id(secret_run);
  v1::GetRunResponse got;
  ASSERT_TRUE(alpha_->GetRun(Context().get(), get, &got).ok());
  EXPECT_EQ(got.run().state().life_cycle_state(), v1::RunState::PENDING);
  EXPECT_EQ(got.run().run_name(), "alpha-secret-run");
}

TEST_F(OwnershipTest, ListingsPageThroughOnlyTheCallersRunsWithoutGapsOrRepeats) {
  // Alpha's five runs sit among thirty of mallory's, newest first in Databricks' listing.
  std::set<std::string> alpha_runs;
  for (int i = 0; i < 30; ++i) {
    Submit(*mallory_, absl::StrCat("noise-", i));
    if (i % 6 == 0) alpha_runs.insert(IdOf(Submit(*alpha_, absl::StrCat("mine-", i))));
  }
  ASSERT_EQ(alpha_runs.size(), 5u);
  for (int page_size : {1, 2, 3, 24}) {
    v1::ListRunsRequest request;
    request.set_page_size(page_size);
    std::vector<std::string> listed;
    for (const v1::Run& run : ListAll(*alpha_, request)) {
      if (absl::StartsWith(run.run_name(), "mine-")) listed.push_back(IdOf(run.run_id()));
      EXPECT_THAT(run.run_name(), Not(HasSubstr("noise")));
    }
    EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), alpha_runs)
        << "page_size " << page_size;
    EXPECT_EQ(listed.size(), alpha_runs.size()) << "a run came twice, page_size " << page_size;
  }
  v1::ListRunsRequest forged;
  forged.set_page_token("not-a-token");
  v1::ListRunsResponse response;
  const grpc::Status status = alpha_->ListRuns(Context().get(), forged, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

TEST_F(OwnershipTest, AMarkInACallersNameClaimsNothing) {
  // Mallory names its run and its job as alpha's mark would read, hoping alpha's listings
  // (and its trust) take them in.
  const std::string planted = Submit(*mallory_, "[gw:alpha] planted");
  const int64_t planted_job = Create(*mallory_, "[gw:alpha] planted-job");
  for (const v1::Run& run : ListAll(*alpha_, v1::ListRunsRequest())) {
    EXPECT_NE(IdOf(run.run_id()), IdOf(planted));
  }
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(alpha_->ListJobs(Context().get(), v1::ListJobsRequest(), &jobs).ok());
  for (const v1::Job& job : jobs.jobs()) EXPECT_NE(job.job_id(), planted_job);
  v1::GetJobRequest get;
  get.set_job_id(planted_job);
  v1::GetJobResponse got;
  EXPECT_EQ(alpha_->GetJob(Context().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  // Nor can it claim the tag.
  for (bool on_cluster : {false, true}) {
    v1::CreateJobRequest create = NotebookJob("tagged");
    if (on_cluster) {
      v1::Task* task = create.mutable_settings()->mutable_tasks(0);
      (*task->mutable_new_cluster()->mutable_custom_tags())["gateway_tenant"] = "alpha";
    } else {
      (*create.mutable_settings()->mutable_tags())["gateway_tenant"] = "alpha";
    }
    v1::CreateJobResponse created;
    const grpc::Status status = mallory_->CreateJob(Context().get(), create, &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("gateway_tenant"));
  }
}

TEST_F(OwnershipTest, AnotherTenantsJobCannotBeReadRunOrDeleted) {
  const int64_t job = Create(*alpha_, "alpha-nightly");
  const int64_t missing = job + 100000;
  stack_->ResetCounters();

  auto same_as_missing = [&](auto method) {
    const grpc::Status theirs = method(job);
    const grpc::Status nobodys = method(missing);
    EXPECT_EQ(theirs.error_code(), grpc::StatusCode::NOT_FOUND) << theirs.error_message();
    EXPECT_EQ(absl::StrReplaceAll(theirs.error_message(), {{absl::StrCat(job), "N"}}),
              absl::StrReplaceAll(nobodys.error_message(), {{absl::StrCat(missing), "N"}}));
  };
  same_as_missing([&](int64_t id) {
    v1::GetJobRequest request;
    request.set_job_id(id);
    v1::GetJobResponse response;
    return mallory_->GetJob(Context().get(), request, &response);
  });
  same_as_missing([&](int64_t id) {
    v1::RunNowRequest request;
    request.set_job_id(id);
    v1::RunNowResponse response;
    return mallory_->RunNow(Context().get(), request, &response);
  });
  same_as_missing([&](int64_t id) {
    v1::DeleteJobRequest request;
    request.set_job_id(id);
    v1::DeleteJobResponse response;
    return mallory_->DeleteJob(Context().get(), request, &response);
  });
  EXPECT_EQ(stack_->EmulatorRequests("POST /api/2.2/jobs/run-now"), 0);
  EXPECT_EQ(stack_->EmulatorRequests("POST /api/2.2/jobs/delete"), 0);

  v1::ListJobsRequest by_name;
  by_name.set_name("alpha-nightly");
  v1::ListJobsResponse listed;
  ASSERT_TRUE(mallory_->ListJobs(Context().get(), by_name, &listed).ok());
  EXPECT_EQ(listed.jobs_size(), 0);
  ASSERT_TRUE(mallory_->ListJobs(Context().get(), v1::ListJobsRequest(), &listed).ok());
  for (const v1::Job& j : listed.jobs()) EXPECT_NE(j.job_id(), job);

  // Alpha sees its job as it named it, tagged for Databricks' UI and billing, and its runs.
  ASSERT_TRUE(alpha_->ListJobs(Context().get(), by_name, &listed).ok());
  ASSERT_EQ(listed.jobs_size(), 1);
  EXPECT_EQ(listed.jobs(0).job_id(), job);
  EXPECT_EQ(listed.jobs(0).settings().name(), "alpha-nightly");
  EXPECT_EQ(listed.jobs(0).settings().tags().at("gateway_tenant"), "alpha");
  v1::RunNowRequest run_now;
  run_now.set_job_id(job);
  v1::RunNowResponse started;
  ASSERT_TRUE(alpha_->RunNow(Context().get(), run_now, &started).ok());
  v1::ListRunsRequest of_job;
  of_job.set_job_id(job);
  const std::vector<v1::Run> alphas = ListAll(*alpha_, of_job);
  ASSERT_EQ(alphas.size(), 1u);
  EXPECT_EQ(alphas[0].run_id(), started.run_id());
  // Listing the runs of alpha's job answers mallory as a job that does not exist would.
  same_as_missing([&](int64_t id) {
    v1::ListRunsRequest request;
    request.set_job_id(id);
    v1::ListRunsResponse response;
    return mallory_->ListRuns(Context().get(), request, &response);
  });
}

// Access rules hold on every path that names a warehouse or a table, and fail closed
// where a rule cannot reach (a storage path under schema rules).
TEST(AccessRulesTest, TasksAndStreamsAreHeldToTheRules) {
  StackOptions options = Options(absl::StrReplaceAll(R"yaml(
  - name: narrow
    api_key_sha256: [NARROW]
    credential_pool: shared
    access:
      warehouses: [wh1]
      schemas: ["main.narrow_*"]
      secret_scopes: ["narrow"]
      methods: ["JobsService/SubmitStreamingRun", "JobsService/GetRun"]
)yaml",
                                                     {{"NARROW", Sha256Hex("narrow-key")}}));
  Stack stack("security-rules", options);
  ASSERT_TRUE(stack.ok()) << stack.error();
  stack.ResetCounters();

  // A tenant bound by warehouse (or schema, or secret-scope) rules cannot be given job
  // submission at all: task code reaches any warehouse. The loader refuses it, naming both.
  {
    StackOptions wide = Options(absl::StrReplaceAll(R"yaml(
  - name: wide
    api_key_sha256: [WIDE]
    credential_pool: shared
    access: {warehouses: [wh1]}
)yaml",
                                                    {{"WIDE", Sha256Hex("wide-key")}}));
    Stack refused_stack("security-rules-refused", wide);
    EXPECT_FALSE(refused_stack.ok());
    EXPECT_THAT(refused_stack.error(),
                HasSubstr("tenant 'wide' has warehouse rules (access.warehouses) but may call "
                          "JobsService/SubmitRun"));
  }

  auto narrow = v1::JobsService::NewStub(stack.ChannelWithKey("narrow-key"));
  // A source ("" for a file source at `path`), a sink schema, a checkpoint.
  auto stream = [&](const std::string& source_schema, const std::string& sink_schema,
                    const std::string& path = "",
                    const std::string& checkpoint = "/Volumes/main/narrow_x/checkpoints/c1") {
    v1::SubmitStreamingRunRequest request;
    if (source_schema.empty()) {
      request.mutable_source()->mutable_files()->set_path(path);
      request.mutable_source()->mutable_files()->set_format("json");
    } else {
      request.mutable_source()->mutable_delta_table()->set_catalog("main");
      request.mutable_source()->mutable_delta_table()->set_schema(source_schema);
      request.mutable_source()->mutable_delta_table()->set_table("events");
    }
    request.mutable_sink()->mutable_delta_table()->set_catalog("main");
    request.mutable_sink()->mutable_delta_table()->set_schema(sink_schema);
    request.mutable_sink()->mutable_delta_table()->set_table("copy");
    request.set_checkpoint_location(checkpoint);
    request.set_existing_cluster_id("cluster-1");
    v1::SubmitStreamingRunResponse response;
    return narrow->SubmitStreamingRun(Context().get(), request, &response);
  };
  EXPECT_EQ(stream("default", "narrow_x").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stream("narrow_x", "default").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Storage paths: only a volume of an allowed schema, written plainly.
  for (const std::string& path :
       {std::string("s3://bucket/any/where"), std::string("/Volumes/main/default/v/in"),
        std::string("/Volumes/main/narrow_x/../../default/v/in"), std::string("/mnt/in"),
        std::string("dbfs:/Volumes/main/default/v/in"), std::string("/Volumes/main/narrow_x")}) {
    const grpc::Status source = stream("", "narrow_x", path);
    EXPECT_EQ(source.error_code(), grpc::StatusCode::PERMISSION_DENIED) << path;
    EXPECT_THAT(source.error_message(), HasSubstr("source.files.path")) << path;
    const grpc::Status checkpoint = stream("narrow_a", "narrow_b", "", path);
    EXPECT_EQ(checkpoint.error_code(), grpc::StatusCode::PERMISSION_DENIED) << path;
    EXPECT_THAT(checkpoint.error_message(), HasSubstr("checkpoint_location")) << path;
  }
  // Secret references resolve with the shared principal: only the tenant's own scopes.
  auto kafka = [&](const std::string& option) {
    v1::SubmitStreamingRunRequest request;
    request.mutable_source()->mutable_kafka()->set_bootstrap_servers("127.0.0.1:9");
    request.mutable_source()->mutable_kafka()->add_topics("events");
    (*request.mutable_source()->mutable_kafka()->mutable_options())["kafka.sasl.jaas.config"] =
        option;
    request.mutable_sink()->mutable_delta_table()->set_catalog("main");
    request.mutable_sink()->mutable_delta_table()->set_schema("narrow_b");
    request.mutable_sink()->mutable_delta_table()->set_table("copy");
    request.set_checkpoint_location("/Volumes/main/narrow_x/checkpoints/k1");
    request.set_existing_cluster_id("cluster-1");
    v1::SubmitStreamingRunResponse response;
    return narrow->SubmitStreamingRun(Context().get(), request, &response);
  };
  for (const char* option : {"{{secrets/alpha/kafka-password}}", "{{secrets/ alpha /k}}"}) {
    const grpc::Status status = kafka(option);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << option;
    EXPECT_THAT(status.error_message(), HasSubstr("secret scope 'alpha'")) << option;
  }
  // The cluster's environment and Spark conf resolve secret references as well, and an
  // option that is a path is a path.
  {
    v1::SubmitStreamingRunRequest request;
    request.mutable_source()->mutable_delta_table()->set_catalog("main");
    request.mutable_source()->mutable_delta_table()->set_schema("narrow_a");
    request.mutable_source()->mutable_delta_table()->set_table("events");
    request.mutable_sink()->mutable_delta_table()->set_catalog("main");
    request.mutable_sink()->mutable_delta_table()->set_schema("narrow_b");
    request.mutable_sink()->mutable_delta_table()->set_table("copy");
    request.set_checkpoint_location("/Volumes/main/narrow_x/checkpoints/e1");
    request.mutable_new_cluster()->set_spark_version("15.4.x-scala2.12");
    (*request.mutable_new_cluster()->mutable_spark_env_vars())["LEAK"] = "{{secrets/alpha/k}}";
    v1::SubmitStreamingRunResponse response;
    const grpc::Status env = narrow->SubmitStreamingRun(Context().get(), request, &response);
    EXPECT_EQ(env.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(env.error_message(), HasSubstr("secret scope 'alpha'"));
    request.mutable_new_cluster()->clear_spark_env_vars();
    (*request.mutable_new_cluster()->mutable_spark_conf())["spark.x"] = "a{{secrets/alpha/k}}";
    EXPECT_EQ(narrow->SubmitStreamingRun(Context().get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(kafka("/Volumes/main/default/v/schema").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stack.EmulatorApiRequests(), 0) << "a refused call reached Databricks";
  const grpc::Status own_scope = kafka("{{secrets/narrow/kafka-password}}");
  EXPECT_TRUE(own_scope.ok()) << own_scope.error_message();
  const grpc::Status allowed = stream("narrow_a", "narrow_b");
  EXPECT_TRUE(allowed.ok()) << allowed.error_message();
  const grpc::Status from_volume = stream("", "narrow_b", "dbfs:/Volumes/main/narrow_in/v/events");
  EXPECT_TRUE(from_volume.ok()) << from_volume.error_message();
}

// A tenant bound to its schemas reaches no other table through SQL text, however it writes
// the name, and what the gateway cannot read or name is refused rather than sent.
TEST(AccessRulesTest, SqlTextIsHeldToTheSchemaRules) {
  StackOptions options = Options(absl::StrReplaceAll(R"yaml(
  - name: narrow
    api_key_sha256: [NARROW]
    credential_pool: shared
    access:
      schemas: ["main.narrow_*"]
      methods: ["SqlService/*", "DeltaService/*"]
)yaml",
                                                     {{"NARROW", Sha256Hex("narrow-key")}}));
  options.workspace_yaml += "    default_catalog: main\n    default_schema: default\n";
  Stack stack("security-sql", options);
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto sql = v1::SqlService::NewStub(stack.ChannelWithKey("narrow-key"));
  auto delta = v1::DeltaService::NewStub(stack.ChannelWithKey("narrow-key"));
  stack.ResetCounters();

  const char* const bypasses[] = {
      "SELECT * FROM main.default.secret",
      "SELECT * FROM (TABLE main.default.secret)",
      "TABLE main.default.secret",
      "SELECT 1 AS x UNION ALL TABLE main.default.secret",
      "WITH c AS (TABLE main.default.secret) SELECT * FROM c",
      "WITH c(n) AS (SELECT 1) SELECT * FROM c, (main.default.secret)",
      "SELECT * FROM main.narrow_a.t JOIN (main.default.secret) ON true",
      "SELECT * FROM `main`.`default`.`secret`",
      "SELECT * FROM secret",          // the request's default schema: main.default
      "SELECT * FROM default.secret",  // the default catalog: main
      "SELECT * FROM main.narrow_a.t WHERE x IN (SELECT x FROM main.default.secret)",
      "SELECT * FROM (WITH secret AS (SELECT 1) SELECT * FROM secret), secret",
      "SELECT /* FROM main.narrow_a.t */ * FROM main.default.secret",
      "SELECT * FROM main.narrow_a.t -- comment\nJOIN main.default.secret",
      "SELECT * FROM delta.`/mnt/main/default/secret`",
      "SELECT * FROM read_files('/Volumes/main/default/v')",
      "SELECT * FROM IDENTIFIER('main.default.secret')",
      "SELECT secret('scope', 'key')",
      "SELECT main.default.leak(1)",
      "INSERT INTO main.default.secret SELECT 1",
      "DELETE FROM main.default.secret",
      "MERGE INTO main.narrow_a.t USING main.default.secret s ON true WHEN MATCHED THEN DELETE",
      "WITH c AS (SELECT 1) INSERT INTO main.default.secret SELECT * FROM c",
      "SELECT * FROM STREAM main.default.secret",
      "GRANT SELECT ON TABLE main.narrow_a.t TO `mallory`",
      "USE SCHEMA default",
  };
  for (const char* statement : bypasses) {
    v1::ExecuteStatementRequest request;
    request.set_statement(statement);
    v1::ExecuteStatementResponse response;
    const grpc::Status status = sql->ExecuteStatement(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << statement;
    EXPECT_EQ(ErrorInfoOf(status).metadata["rule"], "access.schemas") << statement;

    v1::StreamStatementResultsRequest stream;
    stream.mutable_execute()->set_statement(statement);
    auto context = Context();
    auto reader = sql->StreamStatementResults(context.get(), stream);
    v1::StreamStatementResultsResponse message;
    while (reader->Read(&message)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED) << statement;
  }
  // The copy the issue found: a table the tenant may not read, loaded into one it may.
  for (const char* query : {"SELECT * FROM (TABLE main.default.secret)",
                            "SELECT * FROM main.narrow_a.src, (main.default.secret)"}) {
    v1::LoadTablesRequest load;
    v1::TableDefinition* table = load.add_tables();
    table->mutable_name()->set_catalog("main");
    table->mutable_name()->set_schema("narrow_copy");
    table->mutable_name()->set_table("stolen");
    table->set_query(query);
    auto context = Context();
    auto reader = delta->LoadTables(context.get(), load);
    v1::LoadTablesResponse message;
    while (reader->Read(&message)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED) << query;
  }
  // Text the reader cannot read is INVALID_ARGUMENT, naming where.
  for (const char* unreadable : {"SELECT 1 /* /* */ FROM main.default.secret -- */",
                                 "SELECT 1; SELECT * FROM main.default.secret",
                                 "SELECT * FROM main.default.secret WHERE s = 'open"}) {
    v1::ExecuteStatementRequest request;
    request.set_statement(unreadable);
    v1::ExecuteStatementResponse response;
    const grpc::Status status = sql->ExecuteStatement(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << unreadable;
    EXPECT_THAT(status.error_message(), HasSubstr("position")) << unreadable;
  }
  // A Parquet directory to convert is a storage path: only a volume of an allowed schema.
  for (const char* path : {"s3://bucket/parquet", "/Volumes/main/default/v/parquet"}) {
    v1::ConvertToDeltaRequest convert;
    convert.set_parquet_path(path);
    v1::ConvertToDeltaResponse converted;
    EXPECT_EQ(delta->ConvertToDelta(Context().get(), convert, &converted).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << path;
  }
  EXPECT_EQ(stack.EmulatorApiRequests(), 0) << "a refused statement reached Databricks";

  // What the rules allow still runs.
  v1::ExecuteStatementRequest allowed;
  allowed.set_statement("SELECT 1 AS n");
  v1::ExecuteStatementResponse answer;
  const grpc::Status ok = sql->ExecuteStatement(Context().get(), allowed, &answer);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

// GetWarehouse of wh1 as the tenant with `key`, within `timeout`.
grpc::Status GetWarehouse(const Stack& stack, const std::string& key,
                          absl::Duration timeout = absl::Seconds(30)) {
  auto sql = v1::SqlService::NewStub(stack.ChannelWithKey(key));
  v1::GetWarehouseRequest request;
  request.set_id("wh1");
  v1::GetWarehouseResponse response;
  return sql->GetWarehouse(Context(timeout).get(), request, &response);
}

// One tenant's careless or hostile calls must not take the shared workspace or the shared
// credentials away from the others.
TEST(NoTenantDegradesAnotherTest, CallersOwnDeadlinesDoNotOpenTheBreaker) {
  StackOptions options = Options();
  options.workspace_yaml += "    circuit_breaker: {failure_threshold: 3, open_seconds: 30}\n";
  Stack stack("security-breaker", options);
  ASSERT_TRUE(stack.ok()) << stack.error();
  stack.SetFaults(
      R"([{"endpoint": "GET /api/2.0/sql/warehouses/{id}", "kind": "latency", "latency_ms": 1500}])");
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(GetWarehouse(stack, "mallory-key", absl::Milliseconds(100)).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  EXPECT_EQ(
      SeriesValue(stack.Metrics(), R"(databricks_circuit_breaker_state{workspace="default"})"), 0);
  // Alpha, patient, is served: slowly, but not refused by a breaker mallory opened.
  const grpc::Status status = GetWarehouse(stack, "alpha-key");
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(NoTenantDegradesAnotherTest, PermissionErrorsAboutATableKeepTheSharedCredential) {
  Stack stack("security-eject", Options());
  ASSERT_TRUE(stack.ok()) << stack.error();
  // What Unity Catalog answers a principal without a grant, the table names chosen by the
  // caller to contain every word a careless rule would take for a token problem.
  stack.SetFaults(R"([{"endpoint": "GET /api/2.1/unity-catalog/tables/{name}", "kind": "status",
      "status": 403, "error_code": "PERMISSION_DENIED",
      "message": "User does not have SELECT on Table 'main.default.invalid_access_token_credential'."}])");
  auto mallory = v1::CatalogService::NewStub(stack.ChannelWithKey("mallory-key"));
  for (int i = 0; i < 5; ++i) {
    v1::GetTableRequest request;
    request.mutable_table()->set_catalog("main");
    request.mutable_table()->set_schema("default");
    request.mutable_table()->set_table("invalid_access_token_credential");
    v1::GetTableResponse response;
    EXPECT_EQ(mallory->GetTable(Context().get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  const std::string metrics = stack.Metrics();
  EXPECT_EQ(
      SeriesValue(metrics, R"(gateway_credential_ejections_total{credential="pat",pool="shared"})"),
      0);
  EXPECT_EQ(SeriesValue(metrics, R"(gateway_credential_pool_usable{pool="shared"})"), 1);
  stack.SetFaults("[]");
  const grpc::Status status = GetWarehouse(stack, "alpha-key");
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// A caller that goes away takes its statement with it: no poll after it left, and the
// statement cancelled upstream at once when its id is known, as soon as it is otherwise.
TEST(NoTenantDegradesAnotherTest, CallersThatGoAwayStopPollingAndCancelTheirStatements) {
  Stack stack("security-cancel", Options());
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto sql = v1::SqlService::NewStub(stack.ChannelWithKey("alpha-key"));
  auto delta = v1::DeltaService::NewStub(stack.ChannelWithKey("alpha-key"));
  const std::string cancels = "POST /api/2.0/sql/statements/{id}/cancel";
  const std::string polls = "GET /api/2.0/sql/statements/{id}";
  // Cancels `context` after `after` from another thread.
  auto cancel_after = [](grpc::ClientContext* context, absl::Duration after) {
    return std::thread([context, after] {
      absl::SleepFor(after);
      context->TryCancel();
    });
  };

  // 1. A unary Delta call, cancelled while Databricks holds the execute POST (the id is not
  //    known yet): cancelled as soon as the POST answers, never polled.
  stack.ResetCounters();
  {
    v1::DeleteRowsRequest request;
    request.mutable_table()->set_table("slow_marker_events");
    request.set_all_rows(true);
    v1::DeleteRowsResponse response;
    auto context = Context(absl::Seconds(60));
    std::thread canceller = cancel_after(context.get(), absl::Seconds(1));
    EXPECT_EQ(delta->DeleteRows(context.get(), request, &response).error_code(),
              grpc::StatusCode::CANCELLED);
    canceller.join();
  }
  EXPECT_TRUE(::gateway::testing::PollUntil([&] { return stack.EmulatorRequests(cancels) == 1; },
                                            absl::Seconds(15)))
      << stack.Control("GET", "/emulator/v1/counters").Dump();
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(stack.EmulatorRequests(polls), 0) << "polled after the caller left";

  // 2. A stream attached to a running statement: cancelled at once, polls stop.
  stack.ResetCounters();
  v1::ExecuteStatementRequest execute;
  execute.set_statement("SELECT 'slow_marker' AS s");
  execute.set_wait_timeout_seconds(0);
  v1::ExecuteStatementResponse started;
  ASSERT_TRUE(sql->ExecuteStatement(Context().get(), execute, &started).ok());
  {
    v1::StreamStatementResultsRequest attach;
    attach.set_statement_id(started.statement_id());
    auto context = Context(absl::Seconds(60));
    std::thread canceller = cancel_after(context.get(), absl::Seconds(1));
    auto reader = sql->StreamStatementResults(context.get(), attach);
    v1::StreamStatementResultsResponse message;
    while (reader->Read(&message)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
    canceller.join();
  }
  EXPECT_TRUE(::gateway::testing::PollUntil([&] { return stack.EmulatorRequests(cancels) == 1; },
                                            absl::Seconds(2)));
  const int64_t polled = stack.EmulatorRequests(polls);
  EXPECT_GT(polled, 0);
  absl::SleepFor(absl::Seconds(4));
  EXPECT_EQ(stack.EmulatorRequests(polls), polled) << "polled after the caller left";

  // 3. A unary ExecuteStatement whose caller left while the POST was held: the statement it
  //    would have returned is cancelled when the POST answers.
  stack.ResetCounters();
  {
    v1::ExecuteStatementRequest held;
    held.set_statement("SELECT 'slow_marker' AS s");
    v1::ExecuteStatementResponse response;
    auto context = Context(absl::Seconds(60));
    std::thread canceller = cancel_after(context.get(), absl::Seconds(1));
    EXPECT_EQ(sql->ExecuteStatement(context.get(), held, &response).error_code(),
              grpc::StatusCode::CANCELLED);
    canceller.join();
  }
  EXPECT_TRUE(::gateway::testing::PollUntil([&] { return stack.EmulatorRequests(cancels) == 1; },
                                            absl::Seconds(15)))
      << stack.Control("GET", "/emulator/v1/counters").Dump();
}

// A stream's polls are not free: each takes a token of the tenant's rate, so a tenant
// cannot turn one admitted call into an unbounded stream of upstream requests.
TEST(NoTenantDegradesAnotherTest, StreamPollsCountTowardTheTenantsRate) {
  Stack stack("security-pacing", Options(absl::StrReplaceAll(R"yaml(
  - name: paced
    api_key_sha256: [PACED]
    credential_pool: shared
    quota: {requests_per_second: 0.5, burst: 2}
)yaml",
                                                             {{"PACED", Sha256Hex("paced-key")}})));
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto sql = v1::SqlService::NewStub(stack.ChannelWithKey("paced-key"));
  v1::ExecuteStatementRequest execute;  // a token of the burst
  execute.set_statement("SELECT 'slow_marker' AS s");
  execute.set_wait_timeout_seconds(0);
  v1::ExecuteStatementResponse started;
  ASSERT_TRUE(sql->ExecuteStatement(Context().get(), execute, &started).ok());
  stack.ResetCounters();
  {
    v1::StreamStatementResultsRequest attach;  // the burst's second token
    attach.set_statement_id(started.statement_id());
    auto context = Context(absl::Seconds(6));
    auto reader = sql->StreamStatementResults(context.get(), attach);
    v1::StreamStatementResultsResponse message;
    while (reader->Read(&message)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // Unpaced, the poll back-off (100 ms, growing by half up to 3 s) sent 9 polls in these
  // 6 s (measured on the code before pacing); at half a token per second the stream gets
  // its first GET and a few more.
  const int64_t polls = stack.EmulatorRequests("GET /api/2.0/sql/statements/{id}");
  EXPECT_GE(polls, 1);
  EXPECT_LE(polls, 5);
  EXPECT_GT(SeriesValue(stack.Metrics(),
                        R"(gateway_ratelimit_paced_total{rule="tenant",tenant="paced"})"),
            0);
}

// Every call, allowed or refused, leaves one audit record the log level cannot silence,
// with the request id the caller got back and the trace id it sent, and no secret.
TEST(AuditTest, EveryCallLeavesOneRecordWithItsRequestAndTraceIds) {
  StackOptions options = Options();
  options.server_yaml = "  log_level: error\n";
  Stack stack("security-audit", options);
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto alpha = v1::SqlService::NewStub(stack.ChannelWithKey("alpha-key"));
  auto alpha_jobs = v1::JobsService::NewStub(stack.ChannelWithKey("alpha-key"));
  auto mallory = v1::JobsService::NewStub(stack.ChannelWithKey("mallory-key"));
  auto stranger = v1::SqlService::NewStub(stack.ChannelWithKey("no-such-key"));

  // Allowed, with a W3C trace context.
  auto traced = Context();
  traced->AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  v1::ExecuteStatementRequest execute;
  execute.set_statement("SELECT 1 AS n");
  v1::ExecuteStatementResponse executed;
  ASSERT_TRUE(alpha->ExecuteStatement(traced.get(), execute, &executed).ok());
  auto id_of = [](const grpc::ClientContext& context) {
    const auto& trailers = context.GetServerTrailingMetadata();
    auto found = trailers.find("x-request-id");
    return found == trailers.end() ? std::string()
                                   : std::string(found->second.data(), found->second.size());
  };
  const std::string allowed_id = id_of(*traced);
  ASSERT_EQ(allowed_id.size(), 32u);

  // Refused: an unknown key, a forged page token, a dry run.
  auto unknown = Context();
  v1::GetWarehouseRequest warehouse;
  warehouse.set_id("wh1");
  v1::GetWarehouseResponse got;
  EXPECT_EQ(stranger->GetWarehouse(unknown.get(), warehouse, &got).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto forged = Context();
  v1::ListRunsRequest list;
  list.set_page_token("forged");
  v1::ListRunsResponse listed;
  EXPECT_EQ(mallory->ListRuns(forged.get(), list, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto dry = Context();
  dry->AddMetadata("x-dry-run", "true");
  v1::SubmitRunResponse submitted;
  EXPECT_TRUE(alpha_jobs->SubmitRun(dry.get(), NotebookRun("dry"), &submitted).ok());
  auto run = Context();
  ASSERT_TRUE(alpha_jobs->SubmitRun(run.get(), NotebookRun("audited"), &submitted).ok());

  std::map<std::string, json::Value> records;
  for (absl::string_view line : absl::StrSplit(stack.AuditLog(), '\n', absl::SkipEmpty())) {
    absl::StatusOr<json::Value> record = json::Parse(line);
    ASSERT_TRUE(record.ok()) << line;
    EXPECT_EQ(record->Find("type")->as_string(), "audit");
    records[record->Find("request_id")->as_string()] = *record;
  }
  ASSERT_EQ(records.size(), 5u) << stack.AuditLog();
  const json::Value& allowed = records[allowed_id];
  EXPECT_EQ(allowed.Find("tenant")->as_string(), "alpha");
  EXPECT_EQ(allowed.Find("method")->as_string(), "SqlService/ExecuteStatement");
  EXPECT_EQ(allowed.Find("code")->as_string(), "OK");
  EXPECT_EQ(allowed.Find("trace_id")->as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(allowed.Find("upstream_requests")->as_int(), 1);
  // What it created: the statement (the request named no table or warehouse).
  EXPECT_EQ(allowed.Find("objects")->Dump(),
            absl::StrCat(R"(["statement:)", IdOf(executed.statement_id()), R"("])"));
  EXPECT_FALSE(allowed.Find("dry_run")->as_bool());

  const json::Value& refused = records[id_of(*unknown)];
  EXPECT_EQ(refused.Find("code")->as_string(), "UNAUTHENTICATED");
  EXPECT_EQ(refused.Find("reason")->as_string(), "API_KEY_INVALID");
  EXPECT_EQ(refused.Find("tenant")->as_string(), "");
  EXPECT_EQ(refused.Find("upstream_requests")->as_int(), 0);

  const json::Value& invalid = records[id_of(*forged)];
  EXPECT_EQ(invalid.Find("tenant")->as_string(), "mallory");
  EXPECT_EQ(invalid.Find("code")->as_string(), "INVALID_ARGUMENT");
  EXPECT_THAT(invalid.Find("message")->as_string(), HasSubstr("page_token"));

  const json::Value& dry_run = records[id_of(*dry)];
  EXPECT_TRUE(dry_run.Find("dry_run")->as_bool());
  EXPECT_EQ(dry_run.Find("upstream_requests")->as_int(), 0);

  const json::Value& created = records[id_of(*run)];
  EXPECT_EQ(created.Find("objects")->Dump(),
            absl::StrCat(R"(["run:)", IdOf(submitted.run_id()), R"("])"));

  const std::string text = stack.AuditLog();
  for (const char* secret : {"alpha-key", "mallory-key", "no-such-key", "dapi-integration"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  }
  // The handle's MAC is the tenant's capability: only the id is written.
  EXPECT_THAT(text, Not(HasSubstr(submitted.run_id())));
}

// What must never leave the gateway: presigned links, and the configuration to strangers.
TEST(ExposureTest, RecordFilesKeepNoPresignedLink) {
  const std::string record = absl::StrCat(::testing::TempDir(), "/security-record.jsonl");
  std::remove(record.c_str());
  Stack stack("security-record", Options("", absl::StrCat("record:\n  path: ", record, "\n")));
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto alpha = v1::SqlService::NewStub(stack.ChannelWithKey("alpha-key"));
  v1::StreamStatementResultsRequest request;
  request.mutable_execute()->set_statement("SELECT 1 AS a UNION ALL SELECT 2");
  auto context = Context();
  auto reader = alpha->StreamStatementResults(context.get(), request);
  v1::StreamStatementResultsResponse message;
  int messages = 0;
  while (reader->Read(&message)) ++messages;
  const grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GT(messages, 0);
  const std::string text = ReadAll(record);
  ASSERT_THAT(text, HasSubstr("/emulator-files/")) << "the link was not recorded at all";
  // The emulator signs its links with X-Emulator-Signature, a name no credential rule knows.
  std::smatch found;
  EXPECT_FALSE(std::regex_search(text, found, std::regex(R"(Signature=[^\[&"]+)"))) << found.str();
}

TEST(ExposureTest, ConfigOffLoopbackNeedsTheAdminToken) {
  for (const bool with_token : {false, true}) {
    StackOptions options = Options();
    options.admin_address = "0.0.0.0:0";
    if (with_token) {
      options.server_yaml = "  admin_token: {env: ADMIN_TOKEN}\n";
      options.gateway_env["ADMIN_TOKEN"] = "admin-token-for-the-security-test";
    }
    Stack stack(with_token ? "security-admin-token" : "security-admin", options);
    ASSERT_TRUE(stack.ok()) << stack.error();
    const int port = stack.admin_port();
    absl::StatusOr<testing::HttpResponse> anonymous = testing::HttpRequest(port, "GET", "/config");
    ASSERT_TRUE(anonymous.ok()) << anonymous.status();
    EXPECT_EQ(anonymous->status, with_token ? 401 : 403);
    EXPECT_THAT(anonymous->body, Not(HasSubstr("tenants")));
    absl::StatusOr<testing::HttpResponse> wrong =
        testing::HttpRequest(port, "GET", "/config", "",
                             {{"Authorization", "Bearer admin-token-for-the-security-tesT"}});
    ASSERT_TRUE(wrong.ok());
    EXPECT_EQ(wrong->status, with_token ? 401 : 403);
    if (with_token) {
      absl::StatusOr<testing::HttpResponse> right =
          testing::HttpRequest(port, "GET", "/config", "",
                               {{"Authorization", "Bearer admin-token-for-the-security-test"}});
      ASSERT_TRUE(right.ok());
      EXPECT_EQ(right->status, 200);
      EXPECT_THAT(right->body, HasSubstr("admin_token: {env: ADMIN_TOKEN}"));
      EXPECT_THAT(right->body, Not(HasSubstr("admin-token-for-the-security-test")));
    }
    // Probes and Prometheus need no credential.
    absl::StatusOr<testing::HttpResponse> metrics = testing::HttpRequest(port, "GET", "/metrics");
    ASSERT_TRUE(metrics.ok());
    EXPECT_EQ(metrics->status, 200);
    EXPECT_EQ(stack.Readiness().first, 200);
  }
  // On loopback /config is the operator's own.
  Stack local("security-admin-loopback", Options());
  ASSERT_TRUE(local.ok()) << local.error();
  absl::StatusOr<testing::HttpResponse> config =
      testing::HttpRequest(local.admin_port(), "GET", "/config");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->status, 200);
}

}  // namespace
}  // namespace gateway
