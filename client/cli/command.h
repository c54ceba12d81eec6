// What every `dbgw` command gets and returns, and the helpers they share.
#ifndef CLIENT_CLI_COMMAND_H_
#define CLIENT_CLI_COMMAND_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/cli/args.h"
#include "client/cli/output.h"
#include "client/cli/progress.h"
#include "client/gateway_client.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace gateway::cli {

namespace v1 = ::databricks::gateway::v1;

// Exit codes of `dbgw` (also in `dbgw --help` and client/README.md).
enum ExitCode {
  kExitOk = 0,
  // Databricks failed: a run, statement or table load ended in failure, or Databricks
  // answered the call with an error.
  kExitDatabricksFailure = 1,
  // The command line, an input file or the configuration is wrong; nothing was sent.
  kExitUsage = 2,
  // The gateway refused the caller: an unknown API key or a call its access rules deny.
  kExitAuth = 3,
  // Throttled: RESOURCE_EXHAUSTED from the tenant's limits or from Databricks.
  kExitThrottled = 4,
  // The gateway refused the call otherwise: invalid, not found, a failed precondition, an
  // open circuit breaker.
  kExitRefused = 5,
  // The gateway could not be reached or did not answer in time.
  kExitUnreachable = 6,
};

// The exit code for a failed call.
int ExitCodeFor(const absl::Status& status);

struct Context {
  const CommandSpec& spec;
  const ParsedArgs& args;
  client::GatewayClient& client;
  Printer& printer;
  ProgressLine& progress;
  std::ostream& err;
  // Options of one call (--timeout), and of waits and streams (no deadline unless
  // --timeout was given).
  client::CallOptions call;
  client::CallOptions wait;

  // Prints "dbgw: <code>: <message> (details)" and returns its exit code.
  int Fail(const absl::Status& status) const;
  // Prints "dbgw: <message>" and a pointer to --help; returns kExitUsage.
  int Usage(const std::string& message) const;
  // Prints "dbgw: <message>" and returns kExitDatabricksFailure.
  int DatabricksFailure(const std::string& message) const;
};

using Handler = std::function<int(Context&)>;

struct Command {
  CommandSpec spec;
  Handler run;
};

// The commands of each service.
std::vector<Command> JobsCommands();
std::vector<Command> SqlCommands();
std::vector<Command> DeltaCommands();
std::vector<Command> CatalogCommands();

// ----- Shared helpers

// `--request FILE` ("-": stdin): the file's JSON (the RPC request in the proto JSON form)
// merged into `request`. INVALID_ARGUMENT names the file and the parse error.
absl::Status MergeRequestFile(const ParsedArgs& args, google::protobuf::Message* request);

// "name=value" (a STRING) or "name:TYPE=value" (cast to TYPE by Databricks) into
// `parameters`. INVALID_ARGUMENT names the bad one.
absl::Status AddParameters(const std::vector<std::string>& specs,
                           google::protobuf::RepeatedPtrField<v1::SqlParameter>* parameters);

// "key=value" pairs into a map. INVALID_ARGUMENT names the flag and the bad pair.
absl::Status AddKeyValues(const std::string& flag, const std::vector<std::string>& pairs,
                          google::protobuf::Map<std::string, std::string>* map);

// A table name argument; INVALID_ARGUMENT names what is wrong.
absl::StatusOr<v1::TableName> TableArgument(const std::string& text);

// Text read as a value of `column`'s type.
// INVALID_ARGUMENT says what the text is not ("\"abc\" is not a DECIMAL").
absl::StatusOr<v1::Value> TextToValue(const std::string& text, const v1::ColumnSchema& column);

// Prints a response, or fails with its error.
template <typename Response>
int PrintResponse(Context& context, const absl::StatusOr<Response>& response) {
  if (!response.ok()) return context.Fail(response.status());
  context.printer.Message(*response);
  return kExitOk;
}

// Lists the items of `pager` with `columns`, at most `limit` of them (0: all).
template <typename Item>
int PrintItems(Context& context, client::Pager<Item>& pager, std::vector<Column> columns,
               int64_t limit = 0) {
  context.printer.BeginList(std::move(columns));
  Item item;
  for (int64_t n = 0; (limit <= 0 || n < limit) && pager.Next(&item); ++n) {
    context.printer.Item(item);
  }
  if (!pager.status().ok()) return context.Fail(pager.status());
  context.printer.End();
  return kExitOk;
}

// Prints the rows of `reader` as they arrive, with a progress line of rows and chunks.
int PrintRows(Context& context, client::RowReader& reader);

// The whole content of a file, or stdin for "-".
absl::StatusOr<std::string> ReadInput(const std::string& path);

}  // namespace gateway::cli

#endif  // CLIENT_CLI_COMMAND_H_
