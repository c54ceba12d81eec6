// The client library's tour, mirroring seed 004 §9.1: submit a notebook and wait for it,
// execute SQL, read a Delta table with time travel, merge into it, optimize it.
//
//   make run                                    # in another terminal
//   bazel run //client/examples:quickstart      # DBGW_TARGET / DBGW_API_KEY if not local
#include <cstdlib>
#include <iostream>

#include "client/gateway_client.h"
#include "client/values.h"

namespace v1 = ::databricks::gateway::v1;
namespace client = ::gateway::client;

namespace {

int Fail(const char* step, const absl::Status& status) {
  std::cerr << step << ": " << client::DescribeError(status) << "\n";
  return 1;
}

// Runs a statement that returns no rows.
absl::Status Execute(client::GatewayClient& gateway, const std::string& sql) {
  std::unique_ptr<client::RowReader> result = gateway.Query(sql);
  v1::Row row;
  while (result->Next(&row)) {
  }
  return result->status();
}

}  // namespace

int main() {
  client::ClientOptions options;
  if (const char* target = std::getenv("DBGW_TARGET")) options.target = target;
  if (std::getenv("DBGW_API_KEY") != nullptr) options.api_key_env = "DBGW_API_KEY";
  absl::StatusOr<std::unique_ptr<client::GatewayClient>> created =
      client::GatewayClient::Create(options);
  if (!created.ok()) return Fail("connect", created.status());
  client::GatewayClient& gateway = **created;

  // Submit a job and wait for it.
  absl::StatusOr<std::string> run_id =
      gateway.SubmitNotebook("/Workspace/Shared/quickstart", {{"day", "2026-11-21"}});
  if (!run_id.ok()) return Fail("submit", run_id.status());
  absl::StatusOr<v1::Run> run = gateway.WaitForRun(*run_id, [](const v1::Run& r) {
    std::cout << "run " << r.run_id() << ": " << r.state().life_cycle_state_text() << "\n";
  });
  if (!run.ok()) return Fail("wait", run.status());
  std::cout << "run ended " << v1::RunState::ResultState_Name(run->state().result_state()) << "\n";

  // Execute SQL with a named parameter.
  std::unique_ptr<client::RowReader> rows =
      gateway.Query("SELECT :n * 2 AS doubled", {client::Parameter("n", client::IntValue(21))});
  v1::Row row;
  while (rows->Next(&row)) std::cout << "doubled = " << row.values(0).int_value() << "\n";
  if (!rows->status().ok()) return Fail("query", rows->status());

  // A Delta table with two versions.
  const v1::TableName table = *client::ParseTableName("main.default.quickstart");
  if (absl::Status s = Execute(gateway,
                               "CREATE OR REPLACE TABLE main.default.quickstart "
                               "(id BIGINT, value STRING)");
      !s.ok()) {
    return Fail("create", s);
  }
  v1::WriteTableRequest write;
  *write.mutable_table() = table;
  write.add_columns("id");
  write.add_columns("value");
  write.set_mode(v1::WRITE_MODE_APPEND);
  for (int64_t id : {1, 2}) {
    v1::Row* written = write.add_rows();
    *written->add_values() = client::IntValue(id);
    *written->add_values() = client::StringValue("first");
  }
  if (auto written = gateway.WriteTable(write); !written.ok())
    return Fail("write", written.status());

  // Merge: update id 2, insert id 3.
  v1::MergeIntoRequest merge;
  *merge.mutable_target() = table;
  merge.add_source_columns("id");
  merge.add_source_columns("value");
  for (int64_t id : {2, 3}) {
    v1::Row* source = merge.add_source_rows();
    *source->add_values() = client::IntValue(id);
    *source->add_values() = client::StringValue("merged");
  }
  merge.add_merge_keys("id");
  merge.add_when_matched()->set_update_all(true);
  merge.add_when_not_matched()->set_insert_all(true);
  absl::StatusOr<v1::MergeIntoResponse> merged = gateway.MergeInto(merge);
  if (!merged.ok()) return Fail("merge", merged.status());
  std::cout << "merge: " << merged->metrics().num_updated_rows() << " updated, "
            << merged->metrics().num_inserted_rows() << " inserted\n";

  // Read with time travel: the version before the merge.
  v1::DescribeHistoryRequest history;
  *history.mutable_table() = table;
  history.set_limit(1);
  absl::StatusOr<v1::DescribeHistoryResponse> latest = gateway.DescribeHistory(history);
  if (!latest.ok() || latest->entries().empty()) return Fail("history", latest.status());
  v1::ReadTableRequest read;
  *read.mutable_table() = table;
  read.add_order_by("id");
  read.mutable_as_of()->set_version(latest->entries(0).version() - 1);
  std::unique_ptr<client::RowReader> before = gateway.ReadTable(read);
  while (before->Next(&row)) {
    std::cout << "version " << read.as_of().version() << ": id " << row.values(0).int_value()
              << " = " << row.values(1).string_value() << "\n";
  }
  if (!before->status().ok()) return Fail("read", before->status());

  // Table maintenance.
  v1::OptimizeTableRequest optimize;
  *optimize.mutable_table() = table;
  optimize.add_zorder_by("id");
  absl::StatusOr<v1::OptimizeTableResponse> optimized = gateway.OptimizeTable(optimize);
  if (!optimized.ok()) return Fail("optimize", optimized.status());
  std::cout << "optimize: " << optimized->num_files_added() << " files added, "
            << optimized->num_files_removed() << " removed\n";
  return 0;
}
