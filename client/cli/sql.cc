// `dbgw sql …`: one command per SqlService method.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/command.h"

namespace gateway::cli {
namespace {

const std::vector<Column>& StatementColumns() {
  static const auto* columns = new std::vector<Column>{
      {"statement_id", "statement_id"},     {"state", "status.state"},
      {"rows", "manifest.total_row_count"}, {"chunks", "manifest.total_chunk_count"},
      {"error", "status.error.message"},
  };
  return *columns;
}

const std::vector<Column>& WarehouseColumns() {
  static const auto* columns = new std::vector<Column>{
      {"id", "id"},
      {"name", "name"},
      {"state", "state"},
      {"size", "cluster_size"},
      {"clusters", "num_clusters"},
  };
  return *columns;
}

// Flags shared by the commands that execute a statement.
std::vector<FlagSpec> StatementFlags() {
  return {
      {"param", "NAME=VALUE",
       "a value for :NAME (NAME:TYPE=VALUE casts it, e.g. day:DATE=2026-11-21)", true},
      {"warehouse", "ID", "the warehouse (default: the tenant's)"},
      {"catalog", "NAME", "default catalog of the statement"},
      {"schema", "NAME", "default schema of the statement"},
      {"row-limit", "N", "at most N rows"},
  };
}

absl::Status StatementFromFlags(const ParsedArgs& args, v1::ExecuteStatementRequest* request) {
  request->set_statement(args.positional()[0]);
  request->set_warehouse_id(args.Get("warehouse"));
  request->set_catalog(args.Get("catalog"));
  request->set_schema(args.Get("schema"));
  absl::StatusOr<int64_t> row_limit = args.GetInt("row-limit", 0);
  if (!row_limit.ok()) return row_limit.status();
  request->set_row_limit(*row_limit);
  return AddParameters(args.GetAll("param"), request->mutable_parameters());
}

// A statement that ended FAILED is Databricks' failure (exit 1); CANCELED as well.
template <typename Response>
int PrintStatement(Context& context, const Response& response) {
  context.printer.BeginList(StatementColumns());
  context.printer.Item(response);
  context.printer.End();
  const auto state = response.status().state();
  if (state == v1::StatementStatus::FAILED || state == v1::StatementStatus::CANCELED) {
    return context.DatabricksFailure(absl::StrCat(
        "statement ", response.statement_id(), " ", v1::StatementStatus::State_Name(state),
        response.status().error().message().empty() ? "" : ": ",
        response.status().error().message()));
  }
  return kExitOk;
}

int Exec(Context& context) {
  v1::StreamStatementResultsRequest request;
  if (absl::Status s = StatementFromFlags(context.args, request.mutable_execute()); !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  std::unique_ptr<client::RowReader> rows =
      context.client.StreamStatementResults(request, context.wait);
  return PrintRows(context, *rows);
}

int Submit(Context& context) {
  v1::ExecuteStatementRequest request;
  if (absl::Status s = StatementFromFlags(context.args, &request); !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  absl::StatusOr<int64_t> wait = context.args.GetInt("wait-seconds", 10);
  if (!wait.ok()) return context.Usage(std::string(wait.status().message()));
  request.set_wait_timeout_seconds(static_cast<int32_t>(*wait));
  const std::string on_timeout = context.args.Get("on-timeout", "continue");
  if (on_timeout == "cancel") {
    request.set_on_wait_timeout(v1::ExecuteStatementRequest::CANCEL);
  } else if (on_timeout != "continue") {
    return context.Usage(
        absl::StrCat("--on-timeout: \"", on_timeout, "\" is not continue or cancel"));
  }
  absl::StatusOr<v1::ExecuteStatementResponse> response =
      context.client.ExecuteStatement(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  return PrintStatement(context, *response);
}

int Get(Context& context) {
  v1::GetStatementRequest request;
  request.set_statement_id(context.args.positional()[0]);
  absl::StatusOr<v1::GetStatementResponse> response =
      context.client.GetStatement(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  return PrintStatement(context, *response);
}

int Cancel(Context& context) {
  v1::CancelStatementRequest request;
  request.set_statement_id(context.args.positional()[0]);
  return PrintResponse(context, context.client.CancelStatement(request, context.call));
}

int Chunk(Context& context) {
  int index = 0;
  if (!absl::SimpleAtoi(context.args.positional()[1], &index) || index < 0) {
    return context.Usage(absl::StrCat("INDEX \"", context.args.positional()[1],
                                      "\" is not a chunk index (0, 1, …)"));
  }
  // The chunk has rows only; the column names come from the statement's manifest.
  v1::GetStatementRequest statement;
  statement.set_statement_id(context.args.positional()[0]);
  absl::StatusOr<v1::GetStatementResponse> described =
      context.client.GetStatement(statement, context.call);
  if (!described.ok()) return context.Fail(described.status());
  v1::GetResultChunkRequest request;
  request.set_statement_id(statement.statement_id());
  request.set_chunk_index(index);
  absl::StatusOr<v1::GetResultChunkResponse> response =
      context.client.GetResultChunk(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  context.printer.BeginRows(described->manifest().schema());
  for (const v1::Row& row : response->chunk().rows()) context.printer.Row(row);
  context.printer.End();
  return kExitOk;
}

int Results(Context& context) {
  v1::StreamStatementResultsRequest request;
  request.set_statement_id(context.args.positional()[0]);
  std::unique_ptr<client::RowReader> rows =
      context.client.StreamStatementResults(request, context.wait);
  return PrintRows(context, *rows);
}

int Warehouses(Context& context) {
  client::Pager<v1::Warehouse> warehouses =
      context.client.Warehouses(v1::ListWarehousesRequest(), context.call);
  return PrintItems(context, warehouses, WarehouseColumns());
}

int Warehouse(Context& context) {
  v1::GetWarehouseRequest request;
  request.set_id(context.args.positional()[0]);
  absl::StatusOr<v1::GetWarehouseResponse> response =
      context.client.GetWarehouse(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  context.printer.Message(response->warehouse());
  return kExitOk;
}

int StartWarehouse(Context& context) {
  v1::StartWarehouseRequest request;
  request.set_id(context.args.positional()[0]);
  request.set_wait_until_running(context.args.Has("wait"));
  if (request.wait_until_running()) {
    context.progress.Set(absl::StrCat("warehouse ", request.id(), "  starting"));
  }
  absl::StatusOr<v1::StartWarehouseResponse> response = context.client.StartWarehouse(
      request, request.wait_until_running() ? context.wait : context.call);
  context.progress.Finish();
  if (!response.ok()) return context.Fail(response.status());
  context.printer.BeginList(WarehouseColumns());
  context.printer.Item(response->warehouse());
  context.printer.End();
  return kExitOk;
}

}  // namespace

std::vector<Command> SqlCommands() {
  std::vector<FlagSpec> submit_flags = StatementFlags();
  submit_flags.insert(submit_flags.end(),
                      {{"wait-seconds", "N", "wait up to N seconds: 0 or 5-50 (default 10)"},
                       {"on-timeout", "ACTION", "continue (default) or cancel after the wait"}});
  return {
      {{"sql exec",
        "Execute a statement and print its rows as they stream "
        "(StreamStatementResults).",
        "SQL", 1, 1, StatementFlags(),
        "Examples:\n  dbgw sql exec \"SELECT 1 AS one\"\n"
        "  dbgw sql exec \"SELECT * FROM main.default.sales WHERE day = :day\" "
        "--param day:DATE=2026-11-21 -o csv\n"
        "A statement that fails exits 1 with Databricks' error.\n"},
       Exec},
      {{"sql submit",
        "Execute a statement, waiting a bounded time (ExecuteStatement); print "
        "its handle and state.",
        "SQL", 1, 1, submit_flags, "Exits 1 when the statement ends FAILED or CANCELED.\n"},
       Submit},
      {{"sql get", "Show a statement's state (GetStatement).", "STATEMENT_ID", 1, 1, {}}, Get},
      {{"sql cancel",
        "Request a statement's cancellation (CancelStatement).",
        "STATEMENT_ID",
        1,
        1,
        {}},
       Cancel},
      {{"sql chunk",
        "Print one result chunk of a finished statement (GetResultChunk).",
        "STATEMENT_ID INDEX",
        2,
        2,
        {}},
       Chunk},
      {{"sql results",
        "Print every row of an existing statement as they stream "
        "(StreamStatementResults).",
        "STATEMENT_ID",
        1,
        1,
        {}},
       Results},
      {{"sql warehouses", "List the warehouses the tenant may use (ListWarehouses).", "", 0, 0, {}},
       Warehouses},
      {{"sql warehouse", "Show a warehouse (GetWarehouse).", "ID", 1, 1, {}}, Warehouse},
      {{"sql start-warehouse",
        "Start a warehouse (StartWarehouse).",
        "ID",
        1,
        1,
        {{"wait", "", "wait until it is RUNNING"}}},
       StartWarehouse},
  };
}

}  // namespace gateway::cli
