// How `dbgw` prints results: `--output table` (aligned columns for people), `csv`
// (RFC 4180, a header row) or `json` (a single response as one JSON object; list items and
// rows as JSON Lines, one object per line).
#ifndef CLIENT_CLI_OUTPUT_H_
#define CLIENT_CLI_OUTPUT_H_

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "proto/databricks/gateway/v1/common.pb.h"

namespace gateway::cli {

namespace v1 = ::databricks::gateway::v1;

enum class Format { kTable, kJson, kCsv };

// "table", "json" or "csv"; INVALID_ARGUMENT otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view text);

// A column of a list: its header and the field path in each item ("state.life_cycle_state").
struct Column {
  std::string header;
  std::string path;
  // The field holds milliseconds since the epoch: shown as RFC 3339 UTC ("" for 0).
  bool epoch_millis = false;
};

// The text of the field at `path` in `message` for a table or CSV cell: numbers and
// strings as they are, enums by name, messages as compact JSON, repeated fields joined by
// ",". Unset message fields and unknown paths give "".
std::string FieldText(const google::protobuf::Message& message, absl::string_view path);

// Every set field of `message` as (path, text), depth first: "state.life_cycle_state",
// "tasks[0].task_key", "spark_conf.spark.x".
std::vector<std::pair<std::string, std::string>> Flatten(const google::protobuf::Message& message);

// A typed value as text: "NULL" for SQL NULL in tables (`null_text`), dates as
// 2026-11-21, timestamps as RFC 3339 UTC, bytes as base64.
std::string ValueText(const v1::Value& value, absl::string_view null_text);
// A typed value as JSON: numbers, booleans, null, strings for everything else (decimals
// keep their exact text).
std::string ValueJson(const v1::Value& value);

// A JSON string literal.
std::string JsonString(absl::string_view text);

// Writes results in one format. Everything written goes through `write`, so a progress
// line on the same terminal can step aside (ProgressLine::Print).
class Printer {
 public:
  using Write = std::function<void(const std::string&)>;
  Printer(Format format, Write write) : format_(format), write_(std::move(write)) {}

  // One response message.
  void Message(const google::protobuf::Message& message);
  // A list: the columns, then each item, then End.
  void BeginList(std::vector<Column> columns);
  void Item(const google::protobuf::Message& item);
  // Rows of a result: the schema's columns, then each row, then End.
  void BeginRows(const v1::Schema& schema);
  void Row(const v1::Row& row);
  // Ends a list or rows (tables are printed here: their widths need every row).
  void End();

 private:
  void Line(const std::vector<std::string>& cells);

  Format format_;
  Write write_;
  std::vector<Column> columns_;
  std::vector<std::string> row_columns_;
  std::vector<std::vector<std::string>> table_;  // table format: rows kept until End
};

// Renders rows of cells as aligned columns (two spaces apart, headers upper-cased).
std::string RenderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);
// One CSV record (RFC 4180 quoting) with its line end.
std::string CsvLine(const std::vector<std::string>& cells);

}  // namespace gateway::cli

#endif  // CLIENT_CLI_OUTPUT_H_
