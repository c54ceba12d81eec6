// 1,000,000 rows × 10 columns, three ways, against one emulator:
//
//   direct                  what a REST client does: execute the statement with
//                           EXTERNAL_LINKS, then GET each chunk's link and parse its JSON;
//   StreamStatementResults  the same statement through the gateway, typed rows over gRPC;
//   ReadTable               the same table through the gateway's Delta service.
//
// Reports rows/s of each (the gateway's over direct: the target is ≥ 0.9), and the
// gateway's resident set before a stream and its peak during it (VmHWM, reset first
// through /proc/PID/clear_refs). The gateway holds at most two chunks at a time, so the
// peak does not grow with the result. With --doc=PATH it writes its table into PATH's
// "streaming" section.
//
//   stream_bench [--doc=docs/performance.md] [--command="make bench"] [--rows=N]
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "server/common/json.h"
#include "tests/bench/bench_common.h"
#include "tests/integration/stack.h"

namespace gateway::bench {
namespace {

namespace v1 = ::databricks::gateway::v1;
using testing::Context;
using testing::Stack;

constexpr char kSelect[] = "SELECT * FROM main.default.wide";

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
  std::string name;
  int64_t rows = 0;
  int64_t chunks = 0;
  double seconds = 0;
  // The gateway's memory; -1 for the direct path.
  int64_t rss_before_kb = -1;
  int64_t peak_kb = -1;
  bool ok = false;

  double RowsPerSecond() const { return seconds > 0 ? rows / seconds : 0; }
};

// The direct path: the statement API and the chunks' external links, each body parsed
// into a JSON tree as a REST client would, on one connection per request.
Result Direct(const Stack& stack, int64_t expected_rows) {
  Result r{"direct REST + external links"};
  const int port = stack.emulator_port();
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", absl::StrCat("Bearer ", testing::kStackToken)}};
  auto get_json = [&](const std::string& target, const std::string& body, bool with_auth,
                      json::Value* out) {
    absl::StatusOr<testing::HttpResponse> response =
        testing::HttpRequest(port, body.empty() ? "GET" : "POST", target, body,
                             with_auth ? auth : std::vector<std::pair<std::string, std::string>>{});
    if (!response.ok() || response->status != 200) {
      std::cerr << "direct: " << target << ": "
                << (response.ok() ? response->body : response.status().ToString()) << "\n";
      return false;
    }
    absl::StatusOr<json::Value> parsed = json::Parse(response->body);
    if (!parsed.ok()) return false;
    *out = *std::move(parsed);
    return true;
  };
  const absl::Time start = absl::Now();
  json::Value statement;
  if (!get_json("/api/2.0/sql/statements",
                absl::StrCat(R"({"statement":")", kSelect,
                             R"(","warehouse_id":"wh1","disposition":"EXTERNAL_LINKS",)"
                             R"("format":"JSON_ARRAY","wait_timeout":"50s"})"),
                true, &statement)) {
    return r;
  }
  const std::string id = statement["statement_id"].as_string();
  json::Value data = statement["result"];
  while (true) {
    const json::Value* links = data.Find("external_links");
    if (links == nullptr || !links->is_array()) break;
    for (const json::Value& link : links->as_array()) {
      std::string url = link.Find("external_link")->as_string();
      const std::string prefix = absl::StrCat("http://127.0.0.1:", port);
      if (!absl::StartsWith(url, prefix)) {
        std::cerr << "direct: an external link off the emulator: " << url << "\n";
        return r;
      }
      json::Value rows;
      if (!get_json(url.substr(prefix.size()), "", false, &rows)) return r;
      r.rows += static_cast<int64_t>(rows.as_array().size());
      ++r.chunks;
    }
    const json::Value* next = links->as_array().back().Find("next_chunk_index");
    if (next == nullptr) break;
    if (!get_json(absl::StrCat("/api/2.0/sql/statements/", id, "/result/chunks/", next->as_int()),
                  "", true, &data)) {
      return r;
    }
  }
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  r.ok = r.rows == expected_rows;
  return r;
}

// Opens a gateway stream with `open`, reads it to the end, and measures the gateway's
// memory around it.
template <typename Message, typename Open>
Result Through(const std::string& name, const Stack& stack, int64_t expected_rows, Open open) {
  const pid_t pid = stack.gateway_pid();
  Result r{name};
  r.rss_before_kb = StatusKb(pid, "VmRSS");
  if (!ResetPeakRss(pid)) std::cerr << "cannot reset VmHWM; the peak includes earlier use\n";
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
  r.ok = status.ok() && r.rows == expected_rows;
  if (!status.ok()) std::cerr << name << ": " << status.error_message() << "\n";
  return r;
}

std::string Megabytes(int64_t kb) { return kb < 0 ? "–" : absl::StrFormat("%.1f", kb / 1024.0); }

int Main(int argc, char** argv) {
  std::string doc;
  std::string command = "make bench";
  int64_t rows = 1000000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (PublishFlag(arg, &doc, &command)) continue;
    if (!(absl::StartsWith(arg, "--rows=") && absl::SimpleAtoi(arg.substr(7), &rows))) {
      std::cerr << "usage: stream_bench [--doc=PATH] [--command=TEXT] [--rows=N]\n";
      return 2;
    }
  }
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
                              rows, ")"))) {
    return 1;
  }
  std::cout << "loaded " << rows << " rows x 10 columns into the emulator in "
            << absl::ToDoubleSeconds(absl::Now() - loading) << " s\n";

  v1::StreamStatementResultsRequest statement;
  statement.mutable_execute()->set_statement(kSelect);
  v1::ReadTableRequest table;
  table.mutable_table()->set_table("wide");
  std::vector<Result> results;
  // Two rounds, alternating, so that neither path has the machine to itself.
  for (int round = 0; round < 2; ++round) {
    results.push_back(Direct(stack, rows));
    results.push_back(Through<v1::StreamStatementResultsResponse>(
        "StreamStatementResults", stack, rows, [&](grpc::ClientContext* context) {
          return sql->StreamStatementResults(context, statement);
        }));
    results.push_back(Through<v1::ReadTableResponse>(
        "ReadTable", stack, rows,
        [&](grpc::ClientContext* context) { return delta->ReadTable(context, table); }));
  }
  bool ok = true;
  std::string md = absl::StrCat(
      MeasuredBy(command, "tests/bench/stream_bench.cc"), ": ", rows,
      " rows × 10 columns, EXTERNAL_LINKS chunks of 20,000 rows, two rounds in turn.\n\n"
      "| round | path | rows | chunks | seconds | rows/s | vs direct | gateway RSS before MB | "
      "gateway peak MB | peak growth MB |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n");
  double worst_ratio = 1e9;
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    const Result& direct = results[i - i % 3];
    ok &= r.ok;
    const double ratio = r.RowsPerSecond() / direct.RowsPerSecond();
    if (i % 3 != 0) worst_ratio = std::min(worst_ratio, ratio);
    absl::StrAppend(
        &md, absl::StrFormat("| %d | %s | %d | %d | %.2f | %.0f | %s | %s | %s | %s |%s\n",
                             i / 3 + 1, r.name, r.rows, r.chunks, r.seconds, r.RowsPerSecond(),
                             i % 3 == 0 ? "–" : absl::StrFormat("%.2f", ratio),
                             Megabytes(r.rss_before_kb), Megabytes(r.peak_kb),
                             Megabytes(r.peak_kb < 0 ? -1 : r.peak_kb - r.rss_before_kb),
                             r.ok ? "" : " FAILED"));
  }
  absl::StrAppend(
      &md, absl::StrFormat(
               "\nWorst ratio to direct: **%.2f** (target ≥ 0.9: %s).\n", worst_ratio,
               worst_ratio >= 0.9 ? "met" : absl::StrFormat("missed by %.2f", 0.9 - worst_ratio)));
  return Publish(doc, "streaming", md) && ok ? 0 : 1;
}

}  // namespace
}  // namespace gateway::bench

int main(int argc, char** argv) { return gateway::bench::Main(argc, argv); }
