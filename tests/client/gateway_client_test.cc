// The client library against the real gateway and emulator: the seed's usage (submit a
// notebook and wait, execute SQL, read with time travel, merge, optimize), pagers, and
// retries that follow the gateway's RetryInfo and never repeat an unsafe call.
#include "client/gateway_client.h"

#include <vector>

#include "client/values.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/common.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::client::ClientOptions;
using ::gateway::client::GatewayClient;
using ::gateway::testing::ClientStackOptions;
using ::gateway::testing::Stack;

class GatewayClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new Stack("client", ClientStackOptions()); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(stack_->ok()) << stack_->error(); }

  // A client of `api_key` that records each retry's delay.
  std::unique_ptr<GatewayClient> Client(const std::string& api_key) {
    ClientOptions options;
    options.target = stack_->target();
    options.api_key = api_key;
    options.on_retry = [this](const absl::Status&, absl::Duration delay) {
      retries_.push_back(delay);
    };
    auto client = GatewayClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  static Stack* stack_;
  std::vector<absl::Duration> retries_;
};

Stack* GatewayClientTest::stack_ = nullptr;

TEST_F(GatewayClientTest, SeedUsageWorksEndToEnd) {
  auto client = Client("team-key");
  // Submit a notebook and wait for it.
  absl::StatusOr<std::string> run_id =
      client->SubmitNotebook("/Workspace/answer", {{"day", "2026-11-21"}});
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  std::vector<v1::RunState::LifeCycleState> states;
  absl::StatusOr<v1::Run> run = client->WaitForRun(
      *run_id, [&states](const v1::Run& r) { states.push_back(r.state().life_cycle_state()); });
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state().result_state(), v1::RunState::SUCCESS);
  ASSERT_GE(states.size(), 2u);
  EXPECT_EQ(states.back(), v1::RunState::TERMINATED);

  // Execute SQL.
  std::unique_ptr<client::RowReader> rows =
      client->Query("SELECT :n * 2 AS doubled", {client::Parameter("n", client::IntValue(21))});
  v1::Row row;
  ASSERT_TRUE(rows->Next(&row)) << rows->status();
  EXPECT_EQ(rows->schema().columns(0).name(), "doubled");
  EXPECT_EQ(row.values(0).int_value(), 42);
  EXPECT_FALSE(rows->Next(&row));
  EXPECT_TRUE(rows->status().ok()) << rows->status();

  // Write twice, read version 1 (time travel), merge, optimize.
  ASSERT_TRUE(
      client->Query("CREATE TABLE main.default.events (id BIGINT, value STRING)")->ReadHeader());
  const v1::TableName table = *client::ParseTableName("main.default.events");
  for (int64_t id : {1, 2}) {
    v1::WriteTableRequest write;
    *write.mutable_table() = table;
    write.add_columns("id");
    write.add_columns("value");
    write.set_mode(v1::WRITE_MODE_APPEND);
    v1::Row* written = write.add_rows();
    *written->add_values() = client::IntValue(id);
    *written->add_values() = client::StringValue("v" + std::to_string(id));
    ASSERT_TRUE(client->WriteTable(write).ok());
  }
  v1::ReadTableRequest read;
  *read.mutable_table() = table;
  read.mutable_as_of()->set_version(1);
  std::unique_ptr<client::RowReader> version_one = client->ReadTable(read);
  int count = 0;
  while (version_one->Next(&row)) ++count;
  ASSERT_TRUE(version_one->status().ok()) << version_one->status();
  EXPECT_EQ(count, 1);

  v1::MergeIntoRequest merge;
  *merge.mutable_target() = table;
  merge.add_source_columns("id");
  merge.add_source_columns("value");
  for (auto [id, value] : std::vector<std::pair<int64_t, std::string>>{{2, "two"}, {3, "three"}}) {
    v1::Row* source = merge.add_source_rows();
    *source->add_values() = client::IntValue(id);
    *source->add_values() = client::StringValue(value);
  }
  merge.add_merge_keys("id");
  merge.add_when_matched()->set_update_all(true);
  merge.add_when_not_matched()->set_insert_all(true);
  absl::StatusOr<v1::MergeIntoResponse> merged = client->MergeInto(merge);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->metrics().num_updated_rows(), 1);
  EXPECT_EQ(merged->metrics().num_inserted_rows(), 1);

  v1::OptimizeTableRequest optimize;
  *optimize.mutable_table() = table;
  optimize.add_zorder_by("id");
  EXPECT_TRUE(client->OptimizeTable(optimize).ok());
  EXPECT_TRUE(retries_.empty());
}

TEST_F(GatewayClientTest, PagersFollowNextPageTokens) {
  auto client = Client("team-key");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->SubmitNotebook("/Workspace/ok", {}).ok());
  v1::ListRunsRequest request;
  request.set_page_size(2);
  client::Pager<v1::Run> runs = client->Runs(request);
  std::set<std::string> seen;
  v1::Run run;
  while (runs.Next(&run)) seen.insert(run.run_id());
  ASSERT_TRUE(runs.status().ok()) << runs.status();
  EXPECT_GE(seen.size(), 5u);
  EXPECT_GE(runs.pages(), 3);
}

TEST_F(GatewayClientTest, ThrottledCallsRetryAfterTheDelayTheGatewayGives) {
  auto client = Client("paced-key");  // 2 calls per second, burst 1
  v1::GetWarehouseRequest request;
  request.set_id("wh1");
  ASSERT_TRUE(client->GetWarehouse(request).ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::GetWarehouseResponse> second = client->GetWarehouse(request);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(retries_.size(), 1u);
  EXPECT_GT(retries_[0], absl::ZeroDuration());
  EXPECT_LE(retries_[0], absl::Milliseconds(500));
  EXPECT_GE(absl::Now() - start, retries_[0]);

  // A statement refused by the tenant limiter was never sent: it is retried as well.
  retries_.clear();
  stack_->ResetCounters();
  v1::ExecuteStatementRequest statement;
  statement.set_statement("SELECT 1");
  absl::StatusOr<v1::ExecuteStatementResponse> executed = client->ExecuteStatement(statement);
  ASSERT_TRUE(executed.ok()) << executed.status();
  EXPECT_EQ(retries_.size(), 1u);
  EXPECT_EQ(stack_->EmulatorRequests("POST /api/2.0/sql/statements"), 1);
}

TEST_F(GatewayClientTest, DelaysBeyondTheLimitAreReturnedNotWaited) {
  auto client = Client("stingy-key");  // 1 call per 100 s
  ASSERT_TRUE(client->ListCatalogs(v1::ListCatalogsRequest()).ok());
  absl::StatusOr<v1::ListCatalogsResponse> refused =
      client->ListCatalogs(v1::ListCatalogsRequest());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  const client::ErrorDetails details = client::DetailsOf(refused.status());
  ASSERT_TRUE(details.retry_delay.has_value());
  EXPECT_GT(*details.retry_delay, absl::Seconds(30));
  EXPECT_EQ(details.reason, "TENANT_RATE_LIMITED");
  EXPECT_TRUE(retries_.empty());
}

TEST_F(GatewayClientTest, UnsafeCallsFailedByDatabricksAreNotRepeated) {
  auto client = Client("team-key");
  stack_->ResetCounters();
  stack_->SetFaults(R"([{"endpoint": "POST /api/2.0/sql/statements", "kind": "status",
                         "status": 429, "retry_after_seconds": 1, "count": 1}])");
  v1::ExecuteStatementRequest statement;
  statement.set_statement("SELECT 1");
  absl::StatusOr<v1::ExecuteStatementResponse> executed = client->ExecuteStatement(statement);
  stack_->SetFaults("[]");
  // A 503-like answer that may follow execution: UNAVAILABLE with Databricks' RetryInfo.
  EXPECT_EQ(executed.status().code(), absl::StatusCode::kUnavailable) << executed.status();
  EXPECT_TRUE(client::DetailsOf(executed.status()).retry_delay.has_value());
  EXPECT_EQ(client::DetailsOf(executed.status()).domain, client::kDatabricksDomain);
  EXPECT_TRUE(retries_.empty());
  EXPECT_EQ(stack_->EmulatorRequests("POST /api/2.0/sql/statements"), 1);
}

}  // namespace
}  // namespace gateway
