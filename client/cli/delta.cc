// `dbgw delta …`: one command per DeltaService method.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/cli/command.h"
#include "client/values.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "yaml-cpp/yaml.h"

namespace gateway::cli {
namespace {

const FlagSpec kWarehouseFlag{"warehouse", "ID", "the warehouse (default: the tenant's)"};
const FlagSpec kWhereFlag{"where", "PREDICATE",
                          "only rows matching, e.g. \"day >= :from\" (values via --param)"};
const FlagSpec kParamFlag{"param", "NAME=VALUE",
                          "a value for :NAME in --where (NAME:TYPE=VALUE casts it)", true};
const FlagSpec kVersionFlag{"version", "N", "as of this table version"};
const FlagSpec kTimestampFlag{"timestamp", "TIME", "as of this time (RFC 3339)"};

// --version or --timestamp into `spec`; `given` tells whether either was.
absl::Status VersionFromFlags(const ParsedArgs& args, v1::TableVersionSpec* spec, bool* given) {
  *given = args.Has("version") || args.Has("timestamp");
  if (args.Has("version") && args.Has("timestamp")) {
    return absl::InvalidArgumentError("give --version or --timestamp, not both");
  }
  if (args.Has("version")) {
    absl::StatusOr<int64_t> version = args.GetInt("version", 0);
    if (!version.ok()) return version.status();
    spec->set_version(*version);
  } else if (args.Has("timestamp")) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, args.Get("timestamp"), &time, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--timestamp: \"", args.Get("timestamp"),
                                                     "\" is not an RFC 3339 time (", error, ")"));
    }
    *spec->mutable_timestamp() = client::TimestampValue(time).timestamp_value();
  }
  return absl::OkStatus();
}

// --where and --param into `filter`; false when there is no --where.
absl::StatusOr<bool> FilterFromFlags(const ParsedArgs& args, v1::Filter* filter) {
  if (!args.Has("where")) {
    if (args.Has("param")) return absl::InvalidArgumentError("--param needs --where");
    return false;
  }
  filter->set_predicate(args.Get("where"));
  absl::Status status = AddParameters(args.GetAll("param"), filter->mutable_parameters());
  if (!status.ok()) return status;
  return true;
}

std::vector<std::string> CommaList(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
      out.emplace_back(absl::StripAsciiWhitespace(part));
    }
  }
  return out;
}

// "name:TYPE" pairs of --add, --widen and --partition.
absl::StatusOr<std::pair<std::string, std::string>> NameType(const std::string& flag,
                                                             const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " \"", text, "\": expected NAME:TYPE, e.g. amount:DECIMAL(10,2)"));
  }
  return std::make_pair(text.substr(0, colon), text.substr(colon + 1));
}

absl::StatusOr<v1::Schema> TableSchema(Context& context, const v1::TableName& table) {
  v1::GetTableSchemaRequest request;
  *request.mutable_table() = table;
  request.set_warehouse_id(context.args.Get("warehouse"));
  absl::StatusOr<v1::GetTableSchemaResponse> response =
      context.client.GetTableSchema(request, context.call);
  if (!response.ok()) return response.status();
  return response->schema();
}

const v1::ColumnSchema* FindColumn(const v1::Schema& schema, absl::string_view name) {
  for (const v1::ColumnSchema& column : schema.columns()) {
    if (absl::EqualsIgnoreCase(column.name(), name)) return &column;
  }
  return nullptr;
}

// ----- Input rows (delta write, delta merge)

struct InputRows {
  std::vector<std::string> columns;
  std::vector<v1::Row> rows;
};

// RFC 4180 records of `text`.
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      records.push_back(std::move(record));
      record.clear();
      field.clear();
      field_started = false;
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) return absl::InvalidArgumentError(absl::StrCat("line ", line, ": unclosed quote"));
  if (field_started || !field.empty() || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<v1::Value> JsonToValue(const google::protobuf::Value& json,
                                      const v1::ColumnSchema& column) {
  switch (json.kind_case()) {
    case google::protobuf::Value::kNullValue:
      return client::NullValue();
    case google::protobuf::Value::kStringValue:
      return TextToValue(json.string_value(), column);
    case google::protobuf::Value::kBoolValue:
      return TextToValue(json.bool_value() ? "true" : "false", column);
    case google::protobuf::Value::kNumberValue: {
      const double number = json.number_value();
      const bool integral = number == static_cast<double>(static_cast<int64_t>(number));
      return TextToValue(
          integral ? absl::StrCat(static_cast<int64_t>(number)) : absl::StrCat(number), column);
    }
    default: {
      // Arrays and objects go to ARRAY, MAP and STRUCT columns as their JSON text.
      std::string text;
      if (!google::protobuf::util::MessageToJsonString(json, &text).ok()) text = "null";
      return client::StringValue(text);
    }
  }
}

absl::StatusOr<InputRows> ReadRows(const std::string& path, const std::string& format_flag,
                                   const v1::Schema& schema, const std::string& table) {
  absl::StatusOr<std::string> text = ReadInput(path);
  if (!text.ok())
    return absl::InvalidArgumentError(absl::StrCat("--input: ", text.status().message()));
  std::string format = format_flag;
  if (format.empty()) {
    format = absl::EndsWith(path, ".json") || absl::EndsWith(path, ".jsonl") ? "json" : "csv";
  }
  auto where = [&](int line) { return absl::StrCat(path == "-" ? "stdin" : path, " line ", line); };
  auto column_of = [&](const std::string& name) -> absl::StatusOr<const v1::ColumnSchema*> {
    const v1::ColumnSchema* column = FindColumn(schema, name);
    if (column == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": column \"", name, "\" is not in ", table));
    }
    return column;
  };
  InputRows input;
  std::vector<const v1::ColumnSchema*> columns;
  if (format == "csv") {
    absl::StatusOr<std::vector<std::vector<std::string>>> records = ParseCsv(*text);
    if (!records.ok())
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", records.status().message()));
    if (records->empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no header row"));
    for (const std::string& name : records->front()) {
      absl::StatusOr<const v1::ColumnSchema*> column = column_of(name);
      if (!column.ok()) return column.status();
      columns.push_back(*column);
      input.columns.push_back((*column)->name());
    }
    for (size_t r = 1; r < records->size(); ++r) {
      const std::vector<std::string>& record = (*records)[r];
      if (record.size() != columns.size()) {
        return absl::InvalidArgumentError(absl::StrCat(where(static_cast<int>(r + 1)), ": ",
                                                       record.size(), " fields, the header has ",
                                                       columns.size()));
      }
      v1::Row& row = input.rows.emplace_back();
      for (size_t c = 0; c < record.size(); ++c) {
        // An empty CSV field is NULL; "" (quoted) is too, as CSV cannot tell them apart.
        absl::StatusOr<v1::Value> value =
            record[c].empty() ? client::NullValue() : TextToValue(record[c], *columns[c]);
        if (!value.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(static_cast<int>(r + 1)), ": ", value.status().message()));
        }
        *row.add_values() = *std::move(value);
      }
    }
    return input;
  }
  if (format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--input-format: \"", format, "\" is not csv or json"));
  }
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    google::protobuf::Struct object;
    if (!google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where(line_number), ": not a JSON object"));
    }
    if (columns.empty()) {
      // The first object's keys, sorted by name, are the columns.
      std::vector<std::string> names;
      for (const auto& [name, value] : object.fields()) names.push_back(name);
      std::sort(names.begin(), names.end());
      for (const std::string& name : names) {
        absl::StatusOr<const v1::ColumnSchema*> column = column_of(name);
        if (!column.ok()) return column.status();
        columns.push_back(*column);
        input.columns.push_back((*column)->name());
      }
    }
    v1::Row& row = input.rows.emplace_back();
    size_t matched = 0;
    for (const v1::ColumnSchema* column : columns) {
      auto it = object.fields().find(column->name());
      if (it == object.fields().end()) {
        *row.add_values() = client::NullValue();
        continue;
      }
      ++matched;
      absl::StatusOr<v1::Value> value = JsonToValue(it->second, *column);
      if (!value.ok())
        return absl::InvalidArgumentError(
            absl::StrCat(where(line_number), ": ", value.status().message()));
      *row.add_values() = *std::move(value);
    }
    if (matched != object.fields().size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(line_number), ": a key that the first line does not have (columns: ",
                       absl::StrJoin(input.columns, ", "), ")"));
    }
  }
  return input;
}

// ----- Commands

int Read(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::ReadTableRequest request;
  *request.mutable_table() = *table;
  for (const std::string& column : CommaList(context.args.GetAll("columns"))) {
    request.add_columns(column);
  }
  for (const std::string& column : CommaList(context.args.GetAll("order-by"))) {
    request.add_order_by(column);
  }
  absl::StatusOr<bool> filtered = FilterFromFlags(context.args, request.mutable_filter());
  if (!filtered.ok()) return context.Usage(std::string(filtered.status().message()));
  if (!*filtered) request.clear_filter();
  bool versioned = false;
  if (absl::Status s = VersionFromFlags(context.args, request.mutable_as_of(), &versioned);
      !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (!versioned) request.clear_as_of();
  absl::StatusOr<int64_t> limit = context.args.GetInt("limit", 0);
  if (!limit.ok()) return context.Usage(std::string(limit.status().message()));
  request.set_limit(*limit);
  request.set_warehouse_id(context.args.Get("warehouse"));
  std::unique_ptr<client::RowReader> rows = context.client.ReadTable(request, context.wait);
  return PrintRows(context, *rows);
}

int PrintMetrics(Context& context, const v1::DmlMetrics& metrics) {
  context.printer.BeginList({{"affected", "num_affected_rows"},
                             {"inserted", "num_inserted_rows"},
                             {"updated", "num_updated_rows"},
                             {"deleted", "num_deleted_rows"}});
  context.printer.Item(metrics);
  context.printer.End();
  return kExitOk;
}

int Write(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::WriteTableRequest request;
  *request.mutable_table() = *table;
  const std::string mode = context.args.Get("mode", "append");
  if (mode == "append") {
    request.set_mode(v1::WRITE_MODE_APPEND);
  } else if (mode == "overwrite") {
    request.set_mode(v1::WRITE_MODE_OVERWRITE);
  } else if (mode == "replace-where") {
    request.set_mode(v1::WRITE_MODE_REPLACE_WHERE);
    absl::StatusOr<bool> filtered = FilterFromFlags(context.args, request.mutable_replace_where());
    if (!filtered.ok()) return context.Usage(std::string(filtered.status().message()));
    if (!*filtered) return context.Usage("--mode replace-where needs --where");
  } else {
    return context.Usage(
        absl::StrCat("--mode: \"", mode, "\" is not append, overwrite or replace-where"));
  }
  if (request.mode() != v1::WRITE_MODE_REPLACE_WHERE && context.args.Has("where")) {
    return context.Usage("--where goes with --mode replace-where");
  }
  if (!context.args.Has("input"))
    return context.Usage("--input FILE is required (CSV or JSON lines)");
  request.set_warehouse_id(context.args.Get("warehouse"));
  absl::StatusOr<v1::Schema> schema = TableSchema(context, *table);
  if (!schema.ok()) return context.Fail(schema.status());
  absl::StatusOr<InputRows> input =
      ReadRows(context.args.Get("input"), context.args.Get("input-format"), *schema,
               context.args.positional()[0]);
  if (!input.ok()) return context.Usage(std::string(input.status().message()));
  for (const std::string& column : input->columns) request.add_columns(column);
  for (v1::Row& row : input->rows) request.add_rows()->Swap(&row);
  absl::StatusOr<v1::WriteTableResponse> response =
      context.client.WriteTable(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  return PrintMetrics(context, response->metrics());
}

int Merge(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::MergeIntoRequest request;
  *request.mutable_target() = *table;
  for (const std::string& key : CommaList(context.args.GetAll("key"))) request.add_merge_keys(key);
  if (request.merge_keys().empty())
    return context.Usage("--key COLUMN is required (the merge key)");
  if (!context.args.Has("input"))
    return context.Usage("--input FILE is required (CSV or JSON lines)");
  if (context.args.Has("delete-matched")) {
    request.add_when_matched()->set_delete_(true);
  } else if (!context.args.Has("no-update")) {
    request.add_when_matched()->set_update_all(true);
  }
  if (!context.args.Has("no-insert")) request.add_when_not_matched()->set_insert_all(true);
  if (context.args.Has("delete-not-matched-by-source")) {
    request.add_when_not_matched_by_source()->set_delete_(true);
  }
  request.set_with_schema_evolution(context.args.Has("schema-evolution"));
  request.set_warehouse_id(context.args.Get("warehouse"));
  absl::StatusOr<v1::Schema> schema = TableSchema(context, *table);
  if (!schema.ok()) return context.Fail(schema.status());
  absl::StatusOr<InputRows> input =
      ReadRows(context.args.Get("input"), context.args.Get("input-format"), *schema,
               context.args.positional()[0]);
  if (!input.ok()) return context.Usage(std::string(input.status().message()));
  for (const std::string& column : input->columns) request.add_source_columns(column);
  for (v1::Row& row : input->rows) request.add_source_rows()->Swap(&row);
  absl::StatusOr<v1::MergeIntoResponse> response = context.client.MergeInto(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  return PrintMetrics(context, response->metrics());
}

// --where/--param or --all-rows, exactly one.
absl::Status RowsSelection(const ParsedArgs& args, v1::Filter* where, bool* all_rows) {
  *all_rows = args.Has("all-rows");
  absl::StatusOr<bool> filtered = FilterFromFlags(args, where);
  if (!filtered.ok()) return filtered.status();
  if (*filtered == *all_rows) return absl::InvalidArgumentError("give --where or --all-rows");
  return absl::OkStatus();
}

int Delete(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::DeleteRowsRequest request;
  *request.mutable_table() = *table;
  bool all_rows = false;
  if (absl::Status s = RowsSelection(context.args, request.mutable_where(), &all_rows); !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (all_rows) request.clear_where();
  request.set_all_rows(all_rows);
  request.set_warehouse_id(context.args.Get("warehouse"));
  absl::StatusOr<v1::DeleteRowsResponse> response =
      context.client.DeleteRows(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  return PrintMetrics(context, response->metrics());
}

int Update(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::UpdateRowsRequest request;
  *request.mutable_table() = *table;
  bool all_rows = false;
  if (absl::Status s = RowsSelection(context.args, request.mutable_where(), &all_rows); !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (all_rows) request.clear_where();
  request.set_all_rows(all_rows);
  const std::vector<std::string> sets = context.args.GetAll("set");
  const std::vector<std::string> nulls = context.args.GetAll("set-null");
  if (sets.empty() && nulls.empty()) return context.Usage("give at least one --set COLUMN=VALUE");
  request.set_warehouse_id(context.args.Get("warehouse"));
  // Values are typed by the table's columns.
  absl::StatusOr<v1::Schema> schema = TableSchema(context, *table);
  if (!schema.ok()) return context.Fail(schema.status());
  for (const std::string& set : sets) {
    const size_t equals = set.find('=');
    if (equals == std::string::npos || equals == 0) {
      return context.Usage(absl::StrCat("--set \"", set, "\": expected COLUMN=VALUE"));
    }
    const std::string name = set.substr(0, equals);
    const v1::ColumnSchema* column = FindColumn(*schema, name);
    if (column == nullptr) {
      return context.Usage(
          absl::StrCat("--set: column \"", name, "\" is not in ", context.args.positional()[0]));
    }
    absl::StatusOr<v1::Value> value = TextToValue(set.substr(equals + 1), *column);
    if (!value.ok()) return context.Usage(absl::StrCat("--set: ", value.status().message()));
    v1::Assignment* assignment = request.add_set();
    assignment->set_column(column->name());
    *assignment->mutable_value() = *std::move(value);
  }
  for (const std::string& name : nulls) {
    v1::Assignment* assignment = request.add_set();
    assignment->set_column(name);
    *assignment->mutable_value() = client::NullValue();
  }
  absl::StatusOr<v1::UpdateRowsResponse> response =
      context.client.UpdateRows(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  return PrintMetrics(context, response->metrics());
}

int Optimize(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::OptimizeTableRequest request;
  *request.mutable_table() = *table;
  absl::StatusOr<bool> filtered = FilterFromFlags(context.args, request.mutable_where());
  if (!filtered.ok()) return context.Usage(std::string(filtered.status().message()));
  if (!*filtered) request.clear_where();
  for (const std::string& column : CommaList(context.args.GetAll("zorder")))
    request.add_zorder_by(column);
  request.set_warehouse_id(context.args.Get("warehouse"));
  return PrintResponse(context, context.client.OptimizeTable(request, context.call));
}

int Vacuum(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::VacuumTableRequest request;
  *request.mutable_table() = *table;
  if (context.args.Has("retain-hours")) {
    absl::StatusOr<int64_t> hours = context.args.GetInt("retain-hours", 0);
    if (!hours.ok()) return context.Usage(std::string(hours.status().message()));
    request.set_retain_hours(static_cast<int32_t>(*hours));
  }
  request.set_dry_run(context.args.Has("dry-run"));
  request.set_warehouse_id(context.args.Get("warehouse"));
  return PrintResponse(context, context.client.VacuumTable(request, context.call));
}

int History(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::DescribeHistoryRequest request;
  *request.mutable_table() = *table;
  absl::StatusOr<int64_t> limit = context.args.GetInt("limit", 0);
  if (!limit.ok()) return context.Usage(std::string(limit.status().message()));
  request.set_limit(static_cast<int32_t>(*limit));
  request.set_warehouse_id(context.args.Get("warehouse"));
  absl::StatusOr<v1::DescribeHistoryResponse> response =
      context.client.DescribeHistory(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  context.printer.BeginList({{"version", "version"},
                             {"timestamp", "timestamp"},
                             {"operation", "operation"},
                             {"user", "user_name"},
                             {"read_version", "read_version"}});
  for (const v1::HistoryEntry& entry : response->entries()) context.printer.Item(entry);
  context.printer.End();
  return kExitOk;
}

int Restore(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::RestoreTableRequest request;
  *request.mutable_table() = *table;
  bool given = false;
  if (absl::Status s = VersionFromFlags(context.args, request.mutable_to(), &given); !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (!given) return context.Usage("give --version N or --timestamp TIME");
  request.set_warehouse_id(context.args.Get("warehouse"));
  return PrintResponse(context, context.client.RestoreTable(request, context.call));
}

void PrintColumns(Context& context, const v1::Schema& schema) {
  context.printer.BeginList(
      {{"name", "name"}, {"type", "type_text"}, {"nullable", "nullable"}, {"comment", "comment"}});
  for (const v1::ColumnSchema& column : schema.columns()) context.printer.Item(column);
  context.printer.End();
}

int Schema(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::GetTableSchemaRequest request;
  *request.mutable_table() = *table;
  bool versioned = false;
  if (absl::Status s = VersionFromFlags(context.args, request.mutable_as_of(), &versioned);
      !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (!versioned) request.clear_as_of();
  request.set_warehouse_id(context.args.Get("warehouse"));
  absl::StatusOr<v1::GetTableSchemaResponse> response =
      context.client.GetTableSchema(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  PrintColumns(context, response->schema());
  return kExitOk;
}

int Evolve(Context& context) {
  absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
  if (!table.ok()) return context.Usage(std::string(table.status().message()));
  v1::EvolveSchemaRequest request;
  *request.mutable_table() = *table;
  for (const std::string& add : context.args.GetAll("add")) {
    auto pair = NameType("add", add);
    if (!pair.ok()) return context.Usage(std::string(pair.status().message()));
    v1::NewColumn* column = request.add_add_columns();
    column->set_name(pair->first);
    column->set_type(pair->second);
  }
  for (const std::string& widen : context.args.GetAll("widen")) {
    auto pair = NameType("widen", widen);
    if (!pair.ok()) return context.Usage(std::string(pair.status().message()));
    v1::TypeChange* change = request.add_widen_columns();
    change->set_column(pair->first);
    change->set_new_type(pair->second);
  }
  if (request.add_columns().empty() && request.widen_columns().empty()) {
    return context.Usage("give --add NAME:TYPE or --widen COLUMN:TYPE");
  }
  request.set_check_only(context.args.Has("check-only"));
  request.set_warehouse_id(context.args.Get("warehouse"));
  absl::StatusOr<v1::EvolveSchemaResponse> response =
      context.client.EvolveSchema(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  if (!response->compatible()) {
    context.printer.BeginList({{"column", "column"}, {"reason", "reason"}});
    for (const auto& incompatibility : response->incompatibilities())
      context.printer.Item(incompatibility);
    context.printer.End();
    context.progress.Finish();
    context.err << "dbgw: the schema change is not one Delta allows; nothing was changed\n";
    return kExitRefused;
  }
  PrintColumns(context, response->schema());
  return kExitOk;
}

int Clone(Context& context) {
  absl::StatusOr<v1::TableName> source = TableArgument(context.args.positional()[0]);
  absl::StatusOr<v1::TableName> target = TableArgument(context.args.positional()[1]);
  if (!source.ok()) return context.Usage(absl::StrCat("SOURCE: ", source.status().message()));
  if (!target.ok()) return context.Usage(absl::StrCat("TARGET: ", target.status().message()));
  v1::CloneTableRequest request;
  *request.mutable_source() = *source;
  *request.mutable_target() = *target;
  request.set_clone_type(context.args.Has("deep") ? v1::CloneTableRequest::DEEP
                                                  : v1::CloneTableRequest::SHALLOW);
  bool versioned = false;
  if (absl::Status s = VersionFromFlags(context.args, request.mutable_source_version(), &versioned);
      !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (!versioned) request.clear_source_version();
  request.set_replace(context.args.Has("replace"));
  request.set_if_not_exists(context.args.Has("if-not-exists"));
  request.set_warehouse_id(context.args.Get("warehouse"));
  return PrintResponse(context, context.client.CloneTable(request, context.call));
}

int Convert(Context& context) {
  v1::ConvertToDeltaRequest request;
  const bool has_table = !context.args.positional().empty();
  if (has_table == context.args.Has("path")) return context.Usage("give TABLE or --path PATH");
  if (has_table) {
    absl::StatusOr<v1::TableName> table = TableArgument(context.args.positional()[0]);
    if (!table.ok()) return context.Usage(std::string(table.status().message()));
    *request.mutable_parquet_table() = *table;
  } else {
    request.set_parquet_path(context.args.Get("path"));
  }
  for (const std::string& partition : context.args.GetAll("partition")) {
    auto pair = NameType("partition", partition);
    if (!pair.ok()) return context.Usage(std::string(pair.status().message()));
    v1::NewColumn* column = request.add_partition_columns();
    column->set_name(pair->first);
    column->set_type(pair->second);
  }
  request.set_no_statistics(context.args.Has("no-statistics"));
  request.set_warehouse_id(context.args.Get("warehouse"));
  return PrintResponse(context, context.client.ConvertToDelta(request, context.call));
}

// ----- delta load

std::string YamlPath(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : absl::StrCat(prefix, ".", key);
}

absl::Status CheckKeys(const YAML::Node& node, const std::string& path,
                       const std::set<std::string>& allowed) {
  if (!node.IsMap())
    return absl::InvalidArgumentError(
        absl::StrCat(path.empty() ? "the file" : path, ": must be a mapping"));
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    if (allowed.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          YamlPath(path, key), ": unknown key (known: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

// The LoadTables request of a tables file:
//   max_concurrency: 4          # optional
//   warehouse_id: ID            # optional
//   tables:
//     - name: main.default.daily
//       query: SELECT …
//       depends_on: [main.default.raw]   # optional
//       properties: {key: value}          # optional
//       replace: true                     # optional
absl::StatusOr<v1::LoadTablesRequest> ParseLoadFile(const std::string& text) {
  v1::LoadTablesRequest request;
  try {
    const YAML::Node root = YAML::Load(text);
    if (absl::Status s = CheckKeys(root, "", {"max_concurrency", "warehouse_id", "tables"});
        !s.ok())
      return s;
    if (root["max_concurrency"]) request.set_max_concurrency(root["max_concurrency"].as<int>());
    if (root["warehouse_id"]) request.set_warehouse_id(root["warehouse_id"].as<std::string>());
    const YAML::Node tables = root["tables"];
    if (!tables || !tables.IsSequence())
      return absl::InvalidArgumentError("tables: must be a list");
    for (size_t i = 0; i < tables.size(); ++i) {
      const std::string path = absl::StrCat("tables[", i, "]");
      const YAML::Node table = tables[i];
      if (absl::Status s =
              CheckKeys(table, path, {"name", "query", "depends_on", "properties", "replace"});
          !s.ok())
        return s;
      v1::TableDefinition* definition = request.add_tables();
      if (!table["name"]) return absl::InvalidArgumentError(absl::StrCat(path, ".name: required"));
      absl::StatusOr<v1::TableName> name = client::ParseTableName(table["name"].as<std::string>());
      if (!name.ok())
        return absl::InvalidArgumentError(absl::StrCat(path, ".name: ", name.status().message()));
      *definition->mutable_name() = *name;
      if (!table["query"])
        return absl::InvalidArgumentError(absl::StrCat(path, ".query: required"));
      definition->set_query(table["query"].as<std::string>());
      if (const YAML::Node depends = table["depends_on"]) {
        if (!depends.IsSequence())
          return absl::InvalidArgumentError(absl::StrCat(path, ".depends_on: must be a list"));
        for (size_t d = 0; d < depends.size(); ++d) {
          absl::StatusOr<v1::TableName> dependency =
              client::ParseTableName(depends[d].as<std::string>());
          if (!dependency.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat(path, ".depends_on[", d, "]: ", dependency.status().message()));
          }
          *definition->add_depends_on() = *dependency;
        }
      }
      if (const YAML::Node properties = table["properties"]) {
        if (!properties.IsMap())
          return absl::InvalidArgumentError(absl::StrCat(path, ".properties: must be a mapping"));
        for (const auto& entry : properties) {
          (*definition->mutable_properties())[entry.first.as<std::string>()] =
              entry.second.as<std::string>();
        }
      }
      if (table["replace"]) definition->set_replace(table["replace"].as<bool>());
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return request;
}

int Load(Context& context) {
  const std::string path = context.args.positional()[0];
  absl::StatusOr<std::string> text = ReadInput(path);
  if (!text.ok()) return context.Usage(std::string(text.status().message()));
  absl::StatusOr<v1::LoadTablesRequest> request = ParseLoadFile(*text);
  if (!request.ok()) return context.Usage(absl::StrCat(path, ": ", request.status().message()));
  if (context.args.Has("max-concurrency")) {
    absl::StatusOr<int64_t> concurrency = context.args.GetInt("max-concurrency", 0);
    if (!concurrency.ok()) return context.Usage(std::string(concurrency.status().message()));
    request->set_max_concurrency(static_cast<int32_t>(*concurrency));
  }
  if (context.args.Has("warehouse")) request->set_warehouse_id(context.args.Get("warehouse"));

  auto stream = context.client.LoadTables(*request, context.wait);
  // The last state of every table, in the order the plan lists them.
  std::vector<std::string> order;
  std::map<std::string, v1::TableProgress> tables;
  int waves = 0;
  int done = 0;
  int failed = 0;
  std::set<std::string> running;
  auto show = [&](int wave) {
    std::string text = absl::StrCat("load  wave ", wave + 1, "/", waves, "  tables ", done, "/",
                                    order.size(), " done");
    if (failed > 0) absl::StrAppend(&text, "  ", failed, " failed");
    if (!running.empty()) absl::StrAppend(&text, "  running ", absl::StrJoin(running, ", "));
    context.progress.Set(text);
  };
  context.progress.Set("load  planning");
  v1::LoadTablesResponse event;
  int current_wave = 0;
  while (stream->Read(&event)) {
    if (event.has_plan()) {
      waves = event.plan().waves_size();
      for (int w = 0; w < waves; ++w) {
        for (const std::string& table : event.plan().waves(w).tables()) {
          order.push_back(table);
          tables[table].set_table(table);
          tables[table].set_wave(w);
          tables[table].set_state(v1::TABLE_LOAD_PENDING);
        }
      }
    } else if (event.has_table()) {
      const v1::TableProgress& progress = event.table();
      current_wave = progress.wave();
      tables[progress.table()] = progress;
      if (progress.state() == v1::TABLE_LOAD_RUNNING) {
        running.insert(progress.table());
      } else if (progress.state() != v1::TABLE_LOAD_PENDING) {
        running.erase(progress.table());
        ++done;
        if (progress.state() != v1::TABLE_LOAD_SUCCEEDED) ++failed;
      }
    } else if (event.has_wave()) {
      current_wave =
          event.wave().wave() + 1 < waves ? event.wave().wave() + 1 : event.wave().wave();
    }
    show(current_wave);
  }
  if (!stream->status().ok()) return context.Fail(stream->status());
  context.progress.Finish();
  context.printer.BeginList({{"table", "table"},
                             {"wave", "wave"},
                             {"state", "state"},
                             {"duration_ms", "duration_ms"},
                             {"error", "error"}});
  for (const std::string& table : order) context.printer.Item(tables[table]);
  context.printer.End();
  if (failed > 0) {
    return context.DatabricksFailure(
        absl::StrCat(failed, " of ", order.size(), " tables did not load"));
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> DeltaCommands() {
  return {
      {{"delta read",
        "Print a table's rows as they stream (ReadTable).",
        "TABLE",
        1,
        1,
        {{"columns", "A,B", "only these columns, in this order", true},
         kWhereFlag,
         kParamFlag,
         {"limit", "N", "at most N rows"},
         {"order-by", "A,B", "sort by these columns", true},
         kVersionFlag,
         kTimestampFlag,
         kWarehouseFlag},
        "Examples:\n  dbgw delta read main.default.sales --version 3\n"
        "  dbgw delta read main.default.sales --where \"amount > :min\" --param min:INT=100 -o "
        "csv\n"},
       Read},
      {{"delta write",
        "Write rows from a CSV or JSON-lines file (WriteTable).",
        "TABLE",
        1,
        1,
        {{"input", "FILE",
          "the rows: CSV with a header row, or JSON lines (.json, .jsonl); - for stdin"},
         {"input-format", "FORMAT", "csv or json (default: from the file name)"},
         {"mode", "MODE", "append (default), overwrite or replace-where"},
         kWhereFlag,
         kParamFlag,
         kWarehouseFlag},
        "Values are typed by the table's columns; an empty CSV field is NULL.\n"},
       Write},
      {{"delta merge",
        "Upsert rows from a file into a table (MergeInto).",
        "TABLE",
        1,
        1,
        {{"input", "FILE", "the source rows (as for delta write)"},
         {"input-format", "FORMAT", "csv or json (default: from the file name)"},
         {"key", "COLUMN", "a merge key column (ON t.k = s.k)", true},
         {"no-update", "", "leave matched rows alone (default: UPDATE SET *)"},
         {"delete-matched", "", "delete matched rows instead of updating them"},
         {"no-insert", "", "do not insert unmatched rows (default: INSERT *)"},
         {"delete-not-matched-by-source", "", "delete target rows the source does not have"},
         {"schema-evolution", "", "MERGE WITH SCHEMA EVOLUTION"},
         kWarehouseFlag}},
       Merge},
      {{"delta delete",
        "Delete rows (DeleteRows).",
        "TABLE",
        1,
        1,
        {kWhereFlag, kParamFlag, {"all-rows", "", "delete every row"}, kWarehouseFlag}},
       Delete},
      {{"delta update",
        "Set columns of rows (UpdateRows).",
        "TABLE",
        1,
        1,
        {{"set", "COLUMN=VALUE", "the new value, typed by the column", true},
         {"set-null", "COLUMN", "set the column to NULL", true},
         kWhereFlag,
         kParamFlag,
         {"all-rows", "", "update every row"},
         kWarehouseFlag}},
       Update},
      {{"delta optimize",
        "Compact files, optionally Z-ordering (OptimizeTable).",
        "TABLE",
        1,
        1,
        {{"zorder", "A,B", "Z-order by these columns", true},
         kWhereFlag,
         kParamFlag,
         kWarehouseFlag}},
       Optimize},
      {{"delta vacuum",
        "Remove unreferenced files (VacuumTable).",
        "TABLE",
        1,
        1,
        {{"retain-hours", "N", "keep files needed within N hours (default 168)"},
         {"dry-run", "", "only list what would be deleted"},
         kWarehouseFlag}},
       Vacuum},
      {{"delta history",
        "List a table's versions, newest first (DescribeHistory).",
        "TABLE",
        1,
        1,
        {{"limit", "N", "at most N versions"}, kWarehouseFlag}},
       History},
      {{"delta restore",
        "Restore a table to a version or time (RestoreTable).",
        "TABLE",
        1,
        1,
        {kVersionFlag, kTimestampFlag, kWarehouseFlag}},
       Restore},
      {{"delta schema",
        "List a table's columns (GetTableSchema).",
        "TABLE",
        1,
        1,
        {kVersionFlag, kTimestampFlag, kWarehouseFlag}},
       Schema},
      {{"delta evolve",
        "Add columns or widen types after checking them (EvolveSchema).",
        "TABLE",
        1,
        1,
        {{"add", "NAME:TYPE", "add a column", true},
         {"widen", "COLUMN:TYPE", "widen a column's type", true},
         {"check-only", "", "only check; change nothing"},
         kWarehouseFlag},
        "Exits 5 when a change is not one Delta allows (nothing is changed).\n"},
       Evolve},
      {{"delta clone",
        "Clone a table, shallow or deep (CloneTable).",
        "SOURCE TARGET",
        2,
        2,
        {{"deep", "", "a deep clone (default: shallow)"},
         kVersionFlag,
         kTimestampFlag,
         {"replace", "", "replace TARGET if it exists"},
         {"if-not-exists", "", "do nothing if TARGET exists"},
         kWarehouseFlag}},
       Clone},
      {{"delta convert",
        "Convert a Parquet table or directory to Delta (ConvertToDelta).",
        "[TABLE]",
        0,
        1,
        {{"path", "PATH", "a Parquet directory instead of a table"},
         {"partition", "NAME:TYPE", "a partition column of the data", true},
         {"no-statistics", "", "skip collecting statistics"},
         kWarehouseFlag}},
       Convert},
      {{"delta load",
        "Create tables from a YAML file in dependency waves (LoadTables), with a "
        "progress line.",
        "FILE",
        1,
        1,
        {{"max-concurrency", "N", "statements at the same time (default: the file's, else 4)"},
         kWarehouseFlag},
        "FILE:\n  max_concurrency: 4\n  tables:\n    - name: main.default.daily\n"
        "      query: SELECT day, sum(amount) AS total FROM main.default.sales GROUP BY day\n"
        "    - name: main.default.weekly\n"
        "      query: SELECT … FROM main.default.daily …\n"
        "      depends_on: [main.default.daily]   # also found in the query\n"
        "Exits 1 when a table fails or is skipped.\n"},
       Load},
  };
}

}  // namespace gateway::cli
