#include "server/databricks/sql.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/error_details.h"
#include "server/common/status_macros.h"
#include "server/databricks/errors.h"
#include "server/databricks/json_proto.h"

namespace gateway::databricks {
namespace {

constexpr absl::string_view kStatements = "/api/2.0/sql/statements";
constexpr absl::string_view kWarehouses = "/api/2.0/sql/warehouses";

bool ValidParameterName(absl::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Parameter types are SQL type names, possibly with arguments ("DECIMAL(10,2)"); they are
// sent as data, but still kept to that shape.
bool ValidTypeName(absl::string_view type) {
  if (type.empty() || type.size() > 64) return false;
  for (const char c : type) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '(' && c != ')' &&
        c != ',' && c != ' ') {
      return false;
    }
  }
  return true;
}

// Warehouse ids go into URL paths: letters, digits, '-' and '_' only (Databricks issues
// hex ids; all four are unreserved in URLs).
absl::Status ValidateWarehouseId(absl::string_view id, absl::string_view field) {
  if (id.empty()) return InvalidField(field, "required");
  if (id.size() > 64 || !std::all_of(id.begin(), id.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      })) {
    return InvalidField(field, "a warehouse id is letters, digits, '-' and '_'");
  }
  return absl::OkStatus();
}

// The DECIMAL(p,s) that holds `text` exactly. A bare DECIMAL is DECIMAL(10,0) in
// Databricks, which would round "10.50" to 11; text that is not a plain decimal keeps the
// bare type and Databricks reports the value.
std::string DecimalTypeOf(absl::string_view text) {
  absl::ConsumePrefix(&text, "-") || absl::ConsumePrefix(&text, "+");
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() > 2 || (parts[0].empty() && (parts.size() == 1 || parts[1].empty()))) {
    return "DECIMAL";
  }
  for (absl::string_view part : parts) {
    if (!std::all_of(part.begin(), part.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
      return "DECIMAL";
    }
  }
  absl::string_view integer = parts[0];
  while (integer.size() > 1 && integer.front() == '0') integer.remove_prefix(1);
  const size_t scale = parts.size() == 2 ? parts[1].size() : 0;
  const size_t precision = std::max<size_t>(integer.size(), 1) + scale;
  if (precision > 38) return "DECIMAL";
  return absl::StrCat("DECIMAL(", precision, ",", scale, ")");
}

std::string WaitText(absl::Duration wait) { return absl::StrCat(absl::ToInt64Seconds(wait), "s"); }

absl::Status CellError(const v1::ColumnSchema& column, const json::Value& cell) {
  return UnreadableResponse("sql.statements",
                            absl::StrCat("column '", column.name(), "' (", column.type_text(),
                                         "): cannot read ", cell.Dump().substr(0, 80)));
}

absl::optional<absl::Time> ParseTimestamp(absl::string_view text) {
  std::string normalized(text);
  if (normalized.size() > 10 && normalized[10] == 'T') normalized[10] = ' ';
  absl::Time t;
  std::string error;
  if (!normalized.empty() && normalized.back() == 'Z') {
    normalized.pop_back();
    if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", normalized, absl::UTCTimeZone(), &t, &error)) {
      return t;
    }
    return absl::nullopt;
  }
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S%Ez", normalized, &t, &error)) return t;
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", normalized, absl::UTCTimeZone(), &t, &error)) {
    return t;
  }
  return absl::nullopt;
}

}  // namespace

absl::StatusOr<ParameterText> ParameterToText(const v1::SqlParameter& parameter) {
  const std::string field = absl::StrCat("parameters.", parameter.name());
  if (!parameter.type().empty() && !ValidTypeName(parameter.type())) {
    return InvalidField(absl::StrCat(field, ".type"),
                        absl::StrCat("'", parameter.type(), "' is not a SQL type name"));
  }
  ParameterText out;
  out.type = parameter.type();
  const v1::Value& value = parameter.value();
  auto type_or = [&](absl::string_view fallback) {
    if (out.type.empty()) out.type = std::string(fallback);
  };
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
    case v1::Value::kNullValue:
      break;
    case v1::Value::kBoolValue:
      out.value = value.bool_value() ? "true" : "false";
      type_or("BOOLEAN");
      break;
    case v1::Value::kIntValue:
      out.value = absl::StrCat(value.int_value());
      type_or("BIGINT");
      break;
    case v1::Value::kDoubleValue: {
      const double d = value.double_value();
      if (std::isnan(d)) {
        out.value = "NaN";
      } else if (std::isinf(d)) {
        out.value = d > 0 ? "Infinity" : "-Infinity";
      } else {
        out.value = absl::StrFormat("%.17g", d);
      }
      type_or("DOUBLE");
      break;
    }
    case v1::Value::kDecimalValue:
      out.value = value.decimal_value();
      type_or(DecimalTypeOf(value.decimal_value()));
      break;
    case v1::Value::kStringValue:
      out.value = value.string_value();
      type_or("STRING");
      break;
    case v1::Value::kBytesValue:
      return InvalidField(field,
                          "bytes values cannot be parameters (Databricks has no BINARY "
                          "parameter type); send them as a base64 STRING and unbase64() it");
    case v1::Value::kDateValue: {
      const v1::Date& d = value.date_value();
      if (d.month() < 1 || d.month() > 12 || d.day() < 1 || d.day() > 31 || d.year() < 1 ||
          d.year() > 9999) {
        return InvalidField(field, "not a valid date");
      }
      out.value = absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
      type_or("DATE");
      break;
    }
    case v1::Value::kTimestampValue: {
      const absl::Time t = absl::FromUnixSeconds(value.timestamp_value().seconds()) +
                           absl::Nanoseconds(value.timestamp_value().nanos());
      out.value = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
      type_or("TIMESTAMP");
      break;
    }
  }
  return out;
}

absl::StatusOr<ApiRequest> BuildExecuteStatement(const StatementSpec& spec, absl::Duration wait,
                                                 bool cancel_on_timeout) {
  if (absl::StripAsciiWhitespace(spec.statement).empty())
    return InvalidField("statement", "required");
  if (spec.statement.size() > kMaxStatementBytes) {
    return InvalidField("statement", absl::StrCat("at most ", kMaxStatementBytes, " bytes, got ",
                                                  spec.statement.size()));
  }
  if (spec.warehouse_id.empty()) {
    return InvalidField("warehouse_id",
                        "required: none given and no default warehouse is configured");
  }
  GW_RETURN_IF_ERROR(ValidateWarehouseId(spec.warehouse_id, "warehouse_id"));
  if (spec.row_limit < 0) return InvalidField("row_limit", "must be >= 0");
  if (spec.byte_limit < 0) return InvalidField("byte_limit", "must be >= 0");
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = std::string(kStatements);
  api.operation = "sql.statements.execute";
  json::Value& body = api.body;
  body.Set("statement", spec.statement).Set("warehouse_id", spec.warehouse_id);
  if (!spec.catalog.empty()) body.Set("catalog", spec.catalog);
  if (!spec.schema.empty()) body.Set("schema", spec.schema);
  if (!spec.parameters.empty()) {
    json::Value parameters = json::Value::EmptyArray();
    std::set<std::string> names;
    for (const v1::SqlParameter& parameter : spec.parameters) {
      if (!ValidParameterName(parameter.name())) {
        return InvalidField("parameters", absl::StrCat("'", parameter.name().substr(0, 64),
                                                       "' is not a parameter name (letters, digits "
                                                       "and '_', not starting with a digit)"));
      }
      if (!names.insert(parameter.name()).second) {
        return InvalidField("parameters", absl::StrCat("'", parameter.name(), "' is given twice"));
      }
      GW_ASSIGN_OR_RETURN(ParameterText text, ParameterToText(parameter));
      json::Value item;
      item.Set("name", parameter.name());
      if (text.value.has_value()) item.Set("value", *text.value);
      if (!text.type.empty()) item.Set("type", text.type);
      parameters.Append(std::move(item));
    }
    body.Set("parameters", std::move(parameters));
  }
  body.Set("wait_timeout", WaitText(wait));
  if (wait > absl::ZeroDuration()) {
    body.Set("on_wait_timeout", cancel_on_timeout ? "CANCEL" : "CONTINUE");
  }
  if (spec.row_limit > 0) body.Set("row_limit", spec.row_limit);
  if (spec.byte_limit > 0) body.Set("byte_limit", spec.byte_limit);
  body.Set("disposition", spec.disposition == Disposition::kInline ? "INLINE" : "EXTERNAL_LINKS");
  body.Set("format", "JSON_ARRAY");
  return api;
}

ApiRequest BuildGetStatement(absl::string_view statement_id) {
  ApiRequest api;
  api.path = absl::StrCat(kStatements, "/", UrlEncode(statement_id));
  api.operation = "sql.statements.get";
  api.idempotent = true;
  return api;
}

ApiRequest BuildCancelStatement(absl::string_view statement_id) {
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kStatements, "/", UrlEncode(statement_id), "/cancel");
  api.operation = "sql.statements.cancel";
  api.idempotent = true;
  return api;
}

ApiRequest BuildGetChunk(absl::string_view statement_id, int64_t chunk_index) {
  ApiRequest api;
  api.path =
      absl::StrCat(kStatements, "/", UrlEncode(statement_id), "/result/chunks/", chunk_index);
  api.operation = "sql.statements.get_chunk";
  api.idempotent = true;
  return api;
}

absl::StatusOr<Statement> ParseStatement(const json::Value& body) {
  Statement out;
  const json::Value* id = body.Find("statement_id");
  if (id == nullptr || !id->is_string() || id->as_string().empty()) {
    return UnreadableResponse("sql.statements", "no statement_id");
  }
  out.statement_id = id->as_string();
  if (const json::Value* status = body.Find("status")) {
    absl::Status read = MergeJson(*status, &out.status);
    if (!read.ok()) return UnreadableResponse("sql.statements", read.message());
  }
  if (const json::Value* manifest = body.Find("manifest");
      manifest != nullptr && manifest->is_object()) {
    absl::Status read = MergeJson(*manifest, &out.manifest);
    if (!read.ok()) return UnreadableResponse("sql.statements", read.message());
    for (v1::ColumnSchema& column : *out.manifest.mutable_schema()->mutable_columns()) {
      column.set_nullable(true);  // results do not say; the contract is "true"
    }
    out.has_manifest = true;
  }
  if (const json::Value* result = body.Find("result")) out.result = *result;
  return out;
}

absl::Status StatementFailure(const v1::StatementStatus& status, absl::string_view handle) {
  switch (status.state()) {
    case v1::StatementStatus::CANCELED:
      return absl::CancelledError(absl::StrCat("statement ", handle, " was cancelled"));
    case v1::StatementStatus::CLOSED:
      return absl::FailedPreconditionError(
          absl::StrCat("the result of statement ", handle,
                       " is no longer available (results expire an "
                       "hour after the statement succeeded)"));
    default:
      break;
  }
  ApiError error;
  error.http_status = 400;  // a statement error is the caller's SQL unless the code says else
  error.error_code = status.error().error_code();
  error.message = status.error().message().empty()
                      ? absl::StrCat("statement ", handle, " ended ", status.state_text())
                      : status.error().message();
  // Databricks reports most SQL errors as BAD_REQUEST and names the Spark error class at
  // the start of the message ("[TABLE_OR_VIEW_NOT_FOUND] …"); the class says more.
  std::string error_class;
  if (absl::StartsWith(error.message, "[")) {
    const size_t close = error.message.find(']');
    if (close != std::string::npos && close < 128) error_class = error.message.substr(1, close - 1);
  }
  ApiError classified = error;
  if (!error_class.empty() && (error.error_code.empty() || error.error_code == "BAD_REQUEST")) {
    classified.error_code = error_class.substr(0, error_class.find('.'));
  }
  absl::Status out = ToStatus(classified);
  std::map<std::string, std::string> metadata = {{"statement_id", std::string(handle)}};
  if (!status.sql_state().empty()) metadata["sql_state"] = status.sql_state();
  if (!error_class.empty()) metadata["error_class"] = error_class;
  SetErrorInfo(out, error.error_code.empty() ? "STATEMENT_FAILED" : error.error_code,
               kDatabricksDomain, metadata);
  return out;
}

bool IsTerminal(const v1::StatementStatus& status) {
  switch (status.state()) {
    case v1::StatementStatus::PENDING:
    case v1::StatementStatus::RUNNING:
      return false;
    case v1::StatementStatus::STATE_UNSPECIFIED:
      // A state this API does not know: terminal only if Databricks sent one.
      return !status.state_text().empty();
    default:
      return true;
  }
}

absl::StatusOr<v1::Value> ParseCell(const json::Value& cell, const v1::ColumnSchema& column) {
  v1::Value out;
  if (cell.is_null()) {
    out.set_null_value(true);
    return out;
  }
  std::string text;
  if (cell.is_string()) {
    text = cell.as_string();
  } else if (cell.is_int()) {
    text = absl::StrCat(cell.as_int());
  } else if (cell.is_number()) {
    text = absl::StrFormat("%.17g", cell.as_double());
  } else if (cell.is_bool()) {
    text = cell.as_bool() ? "true" : "false";
  } else {
    text = cell.Dump();  // a complex value sent as JSON
  }
  switch (column.type_name()) {
    case v1::ColumnSchema::BOOLEAN:
      if (text != "true" && text != "false") return CellError(column, cell);
      out.set_bool_value(text == "true");
      break;
    case v1::ColumnSchema::BYTE:
    case v1::ColumnSchema::SHORT:
    case v1::ColumnSchema::INT:
    case v1::ColumnSchema::LONG: {
      int64_t n;
      if (!absl::SimpleAtoi(text, &n)) return CellError(column, cell);
      out.set_int_value(n);
      break;
    }
    case v1::ColumnSchema::FLOAT:
    case v1::ColumnSchema::DOUBLE: {
      double d;
      if (text == "NaN") {
        d = std::numeric_limits<double>::quiet_NaN();
      } else if (text == "Infinity") {
        d = std::numeric_limits<double>::infinity();
      } else if (text == "-Infinity") {
        d = -std::numeric_limits<double>::infinity();
      } else if (!absl::SimpleAtod(text, &d)) {
        return CellError(column, cell);
      }
      out.set_double_value(d);
      break;
    }
    case v1::ColumnSchema::DECIMAL:
      out.set_decimal_value(std::move(text));
      break;
    case v1::ColumnSchema::BINARY: {
      std::string bytes;
      if (!absl::Base64Unescape(text, &bytes)) return CellError(column, cell);
      out.set_bytes_value(std::move(bytes));
      break;
    }
    case v1::ColumnSchema::DATE: {
      const std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
      int year;
      int month;
      int day;
      if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &year) ||
          !absl::SimpleAtoi(parts[1], &month) || !absl::SimpleAtoi(parts[2], &day)) {
        return CellError(column, cell);
      }
      v1::Date* date = out.mutable_date_value();
      date->set_year(year);
      date->set_month(month);
      date->set_day(day);
      break;
    }
    case v1::ColumnSchema::TIMESTAMP:
    case v1::ColumnSchema::TIMESTAMP_NTZ: {
      const absl::optional<absl::Time> t = ParseTimestamp(text);
      if (!t.has_value()) return CellError(column, cell);
      const int64_t seconds = absl::ToUnixSeconds(*t);
      out.mutable_timestamp_value()->set_seconds(seconds);
      out.mutable_timestamp_value()->set_nanos(
          static_cast<int32_t>(absl::ToInt64Nanoseconds(*t - absl::FromUnixSeconds(seconds))));
      break;
    }
    case v1::ColumnSchema::NULL_:
      out.set_null_value(true);
      break;
    default:  // STRING, CHAR, INTERVAL, complex types, and types this API does not know
      out.set_string_value(std::move(text));
      break;
  }
  return out;
}

namespace {

absl::Status ParseRows(const json::Value& rows, const v1::Schema& schema, v1::ResultChunk* chunk) {
  if (!rows.is_array()) return UnreadableResponse("sql.statements", "data_array is not an array");
  const int columns = schema.columns_size();
  chunk->mutable_rows()->Reserve(static_cast<int>(rows.as_array().size()));
  for (const json::Value& row : rows.as_array()) {
    if (!row.is_array() || static_cast<int>(row.as_array().size()) != columns) {
      return UnreadableResponse(
          "sql.statements", absl::StrCat("a row does not have the schema's ", columns, " values"));
    }
    v1::Row* out = chunk->add_rows();
    out->mutable_values()->Reserve(columns);
    for (int i = 0; i < columns; ++i) {
      GW_ASSIGN_OR_RETURN(*out->add_values(), ParseCell(row.as_array()[i], schema.columns(i)));
    }
  }
  return absl::OkStatus();
}

void ReadChunkInfo(const json::Value& data, v1::ChunkInfo* info) {
  auto number = [&data](absl::string_view key) -> int64_t {
    const json::Value* v = data.Find(key);
    return v != nullptr && v->is_int() ? v->as_int() : 0;
  };
  info->set_chunk_index(static_cast<int32_t>(number("chunk_index")));
  info->set_row_offset(number("row_offset"));
  info->set_row_count(number("row_count"));
  info->set_byte_count(number("byte_count"));
}

}  // namespace

absl::Status ParseResultData(const json::Value& data, const v1::Schema& schema,
                             v1::ResultChunk* chunk, absl::optional<ExternalLink>* link) {
  link->reset();
  if (!data.is_object()) return UnreadableResponse("sql.statements", "result is not an object");
  const json::Value* links = data.Find("external_links");
  const json::Value* source = &data;
  if (links != nullptr && links->is_array() && !links->as_array().empty()) {
    source = &links->as_array().front();
    const json::Value* url = source->Find("external_link");
    if (url == nullptr || !url->is_string()) {
      return UnreadableResponse("sql.statements", "an external link has no URL");
    }
    ExternalLink out;
    out.url = url->as_string();
    if (const json::Value* headers = source->Find("http_headers");
        headers != nullptr && headers->is_object()) {
      for (const auto& [name, value] : headers->as_object()) {
        if (value.is_string()) out.headers.emplace_back(name, value.as_string());
      }
    }
    *link = std::move(out);
  }
  ReadChunkInfo(*source, chunk->mutable_info());
  if (const json::Value* next = source->Find("next_chunk_index");
      next != nullptr && next->is_int()) {
    chunk->set_next_chunk_index(static_cast<int32_t>(next->as_int()));
  }
  if (const json::Value* rows = data.Find("data_array")) return ParseRows(*rows, schema, chunk);
  return absl::OkStatus();
}

absl::Status ParseExternalRows(absl::string_view body, const v1::Schema& schema,
                               v1::ResultChunk* chunk) {
  absl::StatusOr<json::Value> rows = json::Parse(body);
  if (!rows.ok()) return UnreadableResponse("sql.results.download", rows.status().message());
  return ParseRows(*rows, schema, chunk);
}

absl::StatusOr<ApiRequest> BuildListWarehouses(const v1::ListWarehousesRequest& request) {
  if (request.page_size() < 0) return InvalidField("page_size", "must be >= 0");
  ApiRequest api;
  api.path = PathWithQuery(
      kWarehouses, {{"page_size", request.page_size() > 0 ? absl::StrCat(request.page_size()) : ""},
                    {"page_token", request.page_token()}});
  api.operation = "sql.warehouses.list";
  api.idempotent = true;
  return api;
}

absl::StatusOr<ApiRequest> BuildGetWarehouse(absl::string_view id) {
  GW_RETURN_IF_ERROR(ValidateWarehouseId(id, "id"));
  ApiRequest api;
  api.path = absl::StrCat(kWarehouses, "/", id);
  api.operation = "sql.warehouses.get";
  api.idempotent = true;
  return api;
}

absl::StatusOr<ApiRequest> BuildStartWarehouse(absl::string_view id) {
  GW_RETURN_IF_ERROR(ValidateWarehouseId(id, "id"));
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kWarehouses, "/", id, "/start");
  api.operation = "sql.warehouses.start";
  api.idempotent = true;  // starting a started warehouse is harmless
  return api;
}

absl::Status ParseWarehouse(const json::Value& body, v1::Warehouse* warehouse) {
  absl::Status read = MergeJson(body, warehouse);
  if (!read.ok()) return UnreadableResponse("sql.warehouses", read.message());
  return absl::OkStatus();
}

absl::Status ParseListWarehouses(const json::Value& body, v1::ListWarehousesResponse* out) {
  absl::Status read = MergeJson(body, out);
  if (!read.ok()) return UnreadableResponse("sql.warehouses.list", read.message());
  return absl::OkStatus();
}

}  // namespace gateway::databricks
