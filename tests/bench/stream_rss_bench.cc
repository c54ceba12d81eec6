// How much memory the gateway needs to stream a large result: 1,000,000 rows × 10 columns
// through SqlService.StreamStatementResults and DeltaService.ReadTable, against the
// emulator, with the real gateway binary. Reports the gateway's resident set before the
// stream and its peak during it (VmHWM, reset first through /proc/PID/clear_refs), the
// rows per second the client received, and the chunk count. `make bench-stream` runs it.
//
// The gateway holds one chunk at a time (it fetches the next only after the previous one
// was written), so the peak should not grow with the result size.
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::Stack;

constexpr int kRows = 1000000;

// A /proc/PID/status field in kB ("VmRSS", "VmHWM"); -1 when unreadable.
int64_t StatusKb(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    int64_t kb = -1;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    return absl::SimpleAtoi(digits, &kb) ? kb : -1;
  }
  return -1;
}

bool ResetPeak(pid_t pid) {
  std::ofstream out(absl::StrCat("/proc/", pid, "/clear_refs"));
  out << "5";
  return static_cast<bool>(out);
}

// Runs a statement through the gateway to completion; false (with a message) on failure.
bool Run(v1::SqlService::Stub& sql, const std::string& statement) {
  v1::ExecuteStatementRequest request;
  request.set_statement(statement);
  request.set_wait_timeout_seconds(50);
  v1::ExecuteStatementResponse response;
  grpc::Status status = sql.ExecuteStatement(Context(absl::Seconds(60)).get(), request, &response);
  std::string id = response.statement_id();
  v1::StatementStatus state = response.status();
  while (status.ok() && (state.state() == v1::StatementStatus::PENDING ||
                         state.state() == v1::StatementStatus::RUNNING)) {
    absl::SleepFor(absl::Milliseconds(200));
    v1::GetStatementRequest get;
    get.set_statement_id(id);
    v1::GetStatementResponse got;
    status = sql.GetStatement(Context().get(), get, &got);
    state = got.status();
  }
  if (!status.ok() || state.state() != v1::StatementStatus::SUCCEEDED) {
    std::cerr << statement.substr(0, 60) << ": " << status.error_message()
              << state.error().message() << "\n";
    return false;
  }
  return true;
}

struct Result {
  int64_t rows = 0;
  int64_t chunks = 0;
  double seconds = 0;
  int64_t rss_before_kb = 0;
  int64_t peak_kb = 0;
  bool ok = false;
};

void Print(const std::string& name, const Result& r) {
  std::cout << name << ": rows=" << r.rows << " chunks=" << r.chunks << " seconds=" << r.seconds
            << " rows_per_second=" << static_cast<int64_t>(r.rows / r.seconds)
            << " gateway_rss_before_mb=" << r.rss_before_kb / 1024.0
            << " gateway_peak_mb=" << r.peak_kb / 1024.0
            << " peak_growth_mb=" << (r.peak_kb - r.rss_before_kb) / 1024.0
            << (r.ok ? "" : " FAILED") << "\n";
}

// Opens a stream with `open`, reads it to the end and reports the gateway's memory: its
// resident set before, and its peak while streaming. True when every row arrived.
template <typename Message, typename Open>
bool Measure(const std::string& name, const Stack& stack, Open open) {
  const pid_t pid = stack.gateway_pid();
  Result r;
  r.rss_before_kb = StatusKb(pid, "VmRSS");
  if (!ResetPeak(pid)) std::cerr << "cannot reset VmHWM; the peak includes earlier use\n";
  auto context = Context(absl::Minutes(10));
  const absl::Time start = absl::Now();
  std::unique_ptr<grpc::ClientReader<Message>> reader = open(context.get());
  Message message;
  while (reader->Read(&message)) {
    if (message.has_chunk()) {
      r.rows += message.chunk().rows_size();
      ++r.chunks;
    }
  }
  const grpc::Status status = reader->Finish();
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  r.peak_kb = StatusKb(pid, "VmHWM");
  r.ok = status.ok() && r.rows == kRows;
  if (!status.ok()) std::cerr << name << ": " << status.error_message() << "\n";
  Print(name, r);
  return r.ok;
}

int Main() {
  Stack stack(
      "stream-bench",
      "sql:\n  chunk_rows: 20000\n  warehouses:\n    - {id: wh1, name: Main, state: RUNNING}\n",
      "    default_warehouse_id: wh1\n");
  if (!stack.ok()) {
    std::cerr << stack.error() << "\n";
    return 1;
  }
  auto sql = v1::SqlService::NewStub(stack.channel());
  auto delta = v1::DeltaService::NewStub(stack.channel());
  const absl::Time loading = absl::Now();
  if (!Run(*sql,
           "CREATE TABLE main.default.wide (c0 BIGINT, c1 STRING, c2 DOUBLE, c3 BOOLEAN, "
           "c4 BIGINT, c5 STRING, c6 DOUBLE, c7 BIGINT, c8 STRING, c9 DATE)") ||
      !Run(*sql, absl::StrCat("INSERT INTO main.default.wide SELECT id, concat('name-', id), "
                              "id * 0.5, id % 2 = 0, id * 7, concat('group-', id % 100), "
                              "id / 3.0, id % 1000, 'constant text value', "
                              "CAST('2026-01-02' AS DATE) FROM range(",
                              kRows, ")"))) {
    return 1;
  }
  std::cout << "loaded " << kRows << " rows x 10 columns into the emulator in "
            << absl::ToDoubleSeconds(absl::Now() - loading) << " s\n";
  v1::StreamStatementResultsRequest statement;
  statement.mutable_execute()->set_statement("SELECT * FROM main.default.wide");
  v1::ReadTableRequest table;
  table.mutable_table()->set_table("wide");
  bool ok = Measure<v1::StreamStatementResultsResponse>(
      "StreamStatementResults", stack, [&](grpc::ClientContext* context) {
        return sql->StreamStatementResults(context, statement);
      });
  ok &= Measure<v1::ReadTableResponse>("ReadTable", stack, [&](grpc::ClientContext* context) {
    return delta->ReadTable(context, table);
  });
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace gateway

int main() { return gateway::Main(); }
