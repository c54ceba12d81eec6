#include "server/databricks/delta.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "server/common/json.h"
#include "server/common/status_macros.h"
#include "server/databricks/api.h"
#include "server/databricks/delta_sql.h"

namespace gateway::databricks {
namespace {

absl::StatusOr<std::string> Table(const v1::TableName& table, absl::string_view field,
                                  const NameDefaults& defaults) {
  return QuotedTableName(table, field, defaults.catalog, defaults.schema);
}

absl::StatusOr<std::string> Column(absl::string_view name, absl::string_view field) {
  GW_RETURN_IF_ERROR(ValidateIdentifier(name, field));
  return Quote(name);
}

// "`a`, `b`" from validated column names; at least one.
absl::StatusOr<std::string> ColumnList(const google::protobuf::RepeatedPtrField<std::string>& names,
                                       absl::string_view field) {
  if (names.empty()) return InvalidField(field, "at least one column is required");
  std::vector<std::string> quoted;
  std::set<std::string> seen;
  for (int i = 0; i < names.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    GW_ASSIGN_OR_RETURN(std::string column, Column(names[i], at));
    if (!seen.insert(absl::AsciiStrToLower(names[i])).second) {
      return InvalidField(at, absl::StrCat("'", names[i], "' is listed twice"));
    }
    quoted.push_back(std::move(column));
  }
  return absl::StrJoin(quoted, ", ");
}

// The SQL of a point in a table's history, written from its typed field.
absl::StatusOr<std::string> VersionClause(const v1::TableVersionSpec& spec,
                                          absl::string_view field) {
  switch (spec.spec_case()) {
    case v1::TableVersionSpec::kVersion:
      if (spec.version() < 0) {
        return InvalidField(absl::StrCat(field, ".version"),
                            absl::StrCat("must be >= 0, got ", spec.version()));
      }
      return absl::StrCat("VERSION AS OF ", spec.version());
    case v1::TableVersionSpec::kTimestamp: {
      const google::protobuf::Timestamp& ts = spec.timestamp();
      if (ts.nanos() < 0 || ts.nanos() > 999999999 || ts.seconds() < 0 ||
          ts.seconds() > 253402300799) {
        return InvalidField(absl::StrCat(field, ".timestamp"), "not a valid time");
      }
      const absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
      return absl::StrCat("TIMESTAMP AS OF '",
                          absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()), "'");
    }
    case v1::TableVersionSpec::SPEC_NOT_SET:
      break;
  }
  return InvalidField(field, "set version or timestamp");
}

// Adds a caller's filter parameters, refusing the gateway's reserved names and a name
// already bound by another part of the statement.
absl::Status AddParameters(const v1::Filter& filter, absl::string_view field,
                           std::vector<v1::SqlParameter>* out) {
  for (const v1::SqlParameter& parameter : filter.parameters()) {
    if (absl::StartsWith(parameter.name(), kReservedParameterPrefix)) {
      return InvalidField(absl::StrCat(field, ".parameters"),
                          absl::StrCat("names starting with '", kReservedParameterPrefix,
                                       "' are reserved for the gateway"));
    }
    for (const v1::SqlParameter& bound : *out) {
      if (bound.name() == parameter.name()) {
        return InvalidField(
            absl::StrCat(field, ".parameters"),
            absl::StrCat("':", parameter.name(),
                         "' is also bound elsewhere in the request; use distinct names"));
      }
    }
    out->push_back(parameter);
  }
  return absl::OkStatus();
}

// A checked filter's SQL, with its parameters added to `statement`.
absl::StatusOr<std::string> Predicate(const v1::Filter& filter, absl::string_view field,
                                      DeltaStatement* statement,
                                      const std::set<std::string>& qualifiers = {}) {
  GW_ASSIGN_OR_RETURN(CheckedPredicate checked, CheckFilter(filter, field, qualifiers));
  GW_RETURN_IF_ERROR(AddParameters(filter, field, &statement->parameters));
  return checked.sql;
}

// A value as SQL: NULL, or a new gateway parameter bound to it.
std::string Bind(const v1::Value& value, DeltaStatement* statement) {
  if (value.kind_case() == v1::Value::KIND_NOT_SET || value.kind_case() == v1::Value::kNullValue) {
    return "NULL";
  }
  v1::SqlParameter& parameter = statement->parameters.emplace_back();
  parameter.set_name(absl::StrCat(kReservedParameterPrefix, statement->parameters.size()));
  *parameter.mutable_value() = value;
  return absl::StrCat(":", parameter.name());
}

absl::Status CheckRows(const google::protobuf::RepeatedPtrField<v1::Row>& rows, int width,
                       int max_rows, absl::string_view field) {
  if (rows.empty()) return InvalidField(field, "at least one row is required");
  if (rows.size() > max_rows) {
    return InvalidField(field, absl::StrCat("at most ", max_rows, " rows in one request, got ",
                                            rows.size(), "; split the write"));
  }
  if (static_cast<int64_t>(rows.size()) * width > kMaxWriteValues) {
    return InvalidField(
        field, absl::StrCat("at most ", kMaxWriteValues, " values in one request, got ",
                            static_cast<int64_t>(rows.size()) * width, "; split the write"));
  }
  for (int r = 0; r < rows.size(); ++r) {
    if (rows[r].values_size() != width) {
      return InvalidField(
          absl::StrCat(field, "[", r, "]"),
          absl::StrCat("has ", rows[r].values_size(), " values for ", width, " columns"));
    }
    for (int c = 0; c < width; ++c) {
      if (rows[r].values(c).kind_case() == v1::Value::kBytesValue) {
        return InvalidField(absl::StrCat(field, "[", r, "].values[", c, "]"),
                            "BINARY values cannot be sent as statement parameters");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNotBoth(bool where, bool all_rows, absl::string_view what) {
  if (where && all_rows) return InvalidField("all_rows", "set either where or all_rows, not both");
  if (!where && !all_rows) {
    return InvalidField("where",
                        absl::StrCat("required; to ", what, " every row, set all_rows explicitly"));
  }
  return absl::OkStatus();
}

// The SQL of an assignment's source: a new parameter, NULL, s.`col` (MERGE only, when
// `source_columns` is given) or DEFAULT.
absl::StatusOr<std::string> AssignedValue(const v1::Assignment& a, const std::string& field,
                                          const std::set<std::string>* source_columns,
                                          DeltaStatement* statement) {
  switch (a.source_case()) {
    case v1::Assignment::kValue:
      if (a.value().kind_case() == v1::Value::kBytesValue) {
        return InvalidField(absl::StrCat(field, ".value"),
                            "BINARY values cannot be sent as statement parameters");
      }
      return Bind(a.value(), statement);
    case v1::Assignment::kSourceColumn:
      if (source_columns == nullptr) {
        return InvalidField(absl::StrCat(field, ".source_column"),
                            "there is no source row here; set a value or default_value");
      }
      if (source_columns->count(absl::AsciiStrToLower(a.source_column())) == 0) {
        return InvalidField(
            absl::StrCat(field, ".source_column"),
            absl::StrCat("'", a.source_column().substr(0, 64), "' is not one of source_columns"));
      }
      return absl::StrCat("`s`.", Quote(a.source_column()));
    case v1::Assignment::kDefaultValue:
      if (!a.default_value())
        return InvalidField(absl::StrCat(field, ".default_value"), "must be true");
      return std::string("DEFAULT");
    case v1::Assignment::SOURCE_NOT_SET:
      break;
  }
  return InvalidField(field, "set value, source_column or default_value");
}

// Checked assignments as parallel lists of quoted columns and value SQL.
struct AssignmentList {
  std::vector<std::string> columns;
  std::vector<std::string> values;
};

absl::StatusOr<AssignmentList> Assignments(
    const google::protobuf::RepeatedPtrField<v1::Assignment>& assignments, absl::string_view field,
    const std::set<std::string>* source_columns, DeltaStatement* statement) {
  if (assignments.empty()) return InvalidField(field, "at least one assignment is required");
  AssignmentList out;
  std::set<std::string> seen;
  for (int i = 0; i < assignments.size(); ++i) {
    const v1::Assignment& a = assignments[i];
    const std::string at = absl::StrCat(field, "[", i, "]");
    GW_ASSIGN_OR_RETURN(std::string column, Column(a.column(), absl::StrCat(at, ".column")));
    if (!seen.insert(absl::AsciiStrToLower(a.column())).second) {
      return InvalidField(at, absl::StrCat("column '", a.column(), "' is set twice"));
    }
    GW_ASSIGN_OR_RETURN(std::string value, AssignedValue(a, at, source_columns, statement));
    out.columns.push_back(std::move(column));
    out.values.push_back(std::move(value));
  }
  return out;
}

// "`a` = v, `b` = w" for UPDATE SET.
std::string SetList(const AssignmentList& list) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < list.columns.size(); ++i) {
    parts.push_back(absl::StrCat(list.columns[i], " = ", list.values[i]));
  }
  return absl::StrJoin(parts, ", ");
}

bool IsIntegral(v1::ColumnSchema::TypeName t) {
  return t == v1::ColumnSchema::BYTE || t == v1::ColumnSchema::SHORT ||
         t == v1::ColumnSchema::INT || t == v1::ColumnSchema::LONG;
}

int IntegralRank(v1::ColumnSchema::TypeName t) {
  switch (t) {
    case v1::ColumnSchema::BYTE:
      return 1;
    case v1::ColumnSchema::SHORT:
      return 2;
    case v1::ColumnSchema::INT:
      return 3;
    case v1::ColumnSchema::LONG:
      return 4;
    default:
      return 0;
  }
}

// Decimal digits needed left of the point to hold every value of an integer type.
int IntegralDigits(v1::ColumnSchema::TypeName t) {
  switch (t) {
    case v1::ColumnSchema::BYTE:
      return 3;
    case v1::ColumnSchema::SHORT:
      return 5;
    case v1::ColumnSchema::INT:
      return 10;
    default:
      return 20;
  }
}

// Column index by name in a result, or INTERNAL naming the operation and column.
class Reader {
 public:
  Reader(const ResultRows& result, absl::string_view operation)
      : result_(result), operation_(operation) {}

  absl::StatusOr<int> Index(absl::string_view name) const {
    for (int i = 0; i < result_.schema.columns_size(); ++i) {
      if (result_.schema.columns(i).name() == name) return i;
    }
    return UnreadableResponse(operation_, absl::StrCat("the result has no column '", name, "'"));
  }
  // -1 when absent.
  int Optional(absl::string_view name) const {
    absl::StatusOr<int> i = Index(name);
    return i.ok() ? *i : -1;
  }

  // An integer cell (typed, or text); `absent` for NULL.
  absl::StatusOr<int64_t> Int(const v1::Row& row, int column, int64_t absent = 0) const {
    if (column < 0 || column >= row.values_size()) return absent;
    const v1::Value& v = row.values(column);
    switch (v.kind_case()) {
      case v1::Value::kIntValue:
        return v.int_value();
      case v1::Value::kStringValue:
      case v1::Value::kDecimalValue: {
        int64_t n = 0;
        const std::string& text =
            v.kind_case() == v1::Value::kStringValue ? v.string_value() : v.decimal_value();
        if (absl::SimpleAtoi(text, &n)) return n;
        break;
      }
      case v1::Value::kNullValue:
      case v1::Value::KIND_NOT_SET:
        return absent;
      default:
        break;
    }
    return UnreadableResponse(
        operation_,
        absl::StrCat("column '", result_.schema.columns(column).name(), "' is not an integer"));
  }

  static std::string Text(const v1::Row& row, int column) {
    if (column < 0 || column >= row.values_size()) return "";
    const v1::Value& v = row.values(column);
    switch (v.kind_case()) {
      case v1::Value::kStringValue:
        return v.string_value();
      case v1::Value::kDecimalValue:
        return v.decimal_value();
      case v1::Value::kIntValue:
        return absl::StrCat(v.int_value());
      case v1::Value::kBoolValue:
        return v.bool_value() ? "true" : "false";
      default:
        return "";
    }
  }

  const ResultRows& result() const { return result_; }
  absl::string_view operation() const { return operation_; }

 private:
  const ResultRows& result_;
  const std::string operation_;
};

// A JSON value as the text a string map holds.
std::string JsonText(const json::Value& value) {
  return value.is_string() ? value.as_string() : value.Dump();
}

// Reads a map<string,string> cell, which Databricks sends as a JSON object's text.
absl::Status ReadMap(const Reader& reader, const v1::Row& row, int column,
                     google::protobuf::Map<std::string, std::string>* out) {
  const std::string text = gateway::databricks::Reader::Text(row, column);
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<json::Value> parsed = json::Parse(text);
  if (!parsed.ok() || !parsed->is_object()) {
    return UnreadableResponse(reader.operation(), "a map column is not a JSON object");
  }
  for (const auto& [key, value] : parsed->as_object()) {
    if (!value.is_null()) (*out)[key] = JsonText(value);
  }
  return absl::OkStatus();
}

// Flattens a JSON object into "a.b" → text; nulls are left out.
void Flatten(const json::Value& object, const std::string& prefix,
             google::protobuf::Map<std::string, std::string>* out) {
  for (const auto& [key, value] : object.as_object()) {
    const std::string name = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
    if (value.is_object()) {
      Flatten(value, name, out);
    } else if (!value.is_null()) {
      (*out)[name] = JsonText(value);
    }
  }
}

}  // namespace

absl::Status ValidateLiteral(absl::string_view text, absl::string_view field) {
  if (text.size() > kMaxLiteralLength) {
    return InvalidField(
        field, absl::StrCat("at most ", kMaxLiteralLength, " characters, got ", text.size()));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\'' || c == '"' || c == '\\' || c < 0x20 || c == 0x7F) {
      return InvalidField(
          field, absl::StrCat("character ",
                              c < 0x20 || c == 0x7F ? absl::StrCat("0x", absl::Hex(c))
                                                    : absl::StrCat("'", text.substr(i, 1), "'"),
                              " at position ", i,
                              " is not allowed (no quotes, backslashes or control "
                              "characters)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SqlType> ParseSqlType(absl::string_view text, absl::string_view field,
                                     bool allow_complex) {
  std::string t = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
  SqlType out;
  using T = v1::ColumnSchema;
  static const std::map<std::string, T::TypeName>* const kNames =
      new std::map<std::string, T::TypeName>{{"BOOLEAN", T::BOOLEAN},
                                             {"TINYINT", T::BYTE},
                                             {"BYTE", T::BYTE},
                                             {"SMALLINT", T::SHORT},
                                             {"SHORT", T::SHORT},
                                             {"INT", T::INT},
                                             {"INTEGER", T::INT},
                                             {"BIGINT", T::LONG},
                                             {"LONG", T::LONG},
                                             {"FLOAT", T::FLOAT},
                                             {"REAL", T::FLOAT},
                                             {"DOUBLE", T::DOUBLE},
                                             {"STRING", T::STRING},
                                             {"BINARY", T::BINARY},
                                             {"DATE", T::DATE},
                                             {"TIMESTAMP", T::TIMESTAMP},
                                             {"TIMESTAMP_LTZ", T::TIMESTAMP},
                                             {"TIMESTAMP_NTZ", T::TIMESTAMP_NTZ}};
  static const char* const kCanonical[] = {
      "",        "BOOLEAN", "TINYINT", "SMALLINT", "INT",  "BIGINT",    "FLOAT",        "DOUBLE",
      "DECIMAL", "STRING",  "CHAR",    "BINARY",   "DATE", "TIMESTAMP", "TIMESTAMP_NTZ"};
  auto found = kNames->find(t);
  if (found != kNames->end()) {
    out.name = found->second;
    out.text = kCanonical[out.name];
    return out;
  }
  for (const char* prefix : {"DECIMAL", "DEC", "NUMERIC"}) {
    if (!absl::StartsWith(t, prefix)) continue;
    absl::string_view args = absl::string_view(t).substr(strlen(prefix));
    out.name = T::DECIMAL;
    out.precision = 10;
    out.scale = 0;
    if (!args.empty()) {
      if (args.front() != '(' || args.back() != ')') break;
      args = args.substr(1, args.size() - 2);
      const size_t comma = args.find(',');
      if (!absl::SimpleAtoi(args.substr(0, comma), &out.precision) ||
          (comma != absl::string_view::npos &&
           !absl::SimpleAtoi(args.substr(comma + 1), &out.scale))) {
        break;
      }
    }
    if (out.precision < 1 || out.precision > 38 || out.scale < 0 || out.scale > out.precision) {
      return InvalidField(field, absl::StrCat("DECIMAL(", out.precision, ",", out.scale,
                                              ") needs 1 <= precision <= 38 and 0 <= scale <= "
                                              "precision"));
    }
    out.text = absl::StrCat("DECIMAL(", out.precision, ",", out.scale, ")");
    return out;
  }
  for (const auto& [prefix, name] : std::vector<std::pair<const char*, T::TypeName>>{
           {"ARRAY<", T::ARRAY}, {"MAP<", T::MAP}, {"STRUCT<", T::STRUCT}}) {
    if (absl::StartsWith(t, prefix)) {
      if (!allow_complex) {
        return InvalidField(field, absl::StrCat("complex types are not accepted here, got ",
                                                std::string(text.substr(0, 64))));
      }
      out.name = name;
      out.text = std::string(absl::StripAsciiWhitespace(text));
      return out;
    }
  }
  if (allow_complex && (absl::StartsWith(t, "CHAR(") || absl::StartsWith(t, "VARCHAR("))) {
    out.name = T::STRING;
    out.text = std::string(absl::StripAsciiWhitespace(text));
    return out;
  }
  return InvalidField(field,
                      absl::StrCat("'", std::string(text.substr(0, 64)),
                                   "' is not a SQL type the gateway accepts (BOOLEAN, TINYINT, "
                                   "SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), STRING, "
                                   "BINARY, DATE, TIMESTAMP, TIMESTAMP_NTZ)"));
}

std::string WideningRefusal(const SqlType& from, const SqlType& to) {
  using T = v1::ColumnSchema;
  if (from.text == to.text) return "";
  bool allowed = false;
  if (IsIntegral(from.name) && IsIntegral(to.name)) {
    allowed = IntegralRank(to.name) > IntegralRank(from.name);
  } else if ((IsIntegral(from.name) && from.name != T::LONG && to.name == T::DOUBLE) ||
             (from.name == T::FLOAT && to.name == T::DOUBLE) ||
             (from.name == T::DATE && to.name == T::TIMESTAMP_NTZ)) {
    allowed = true;
  } else if (IsIntegral(from.name) && to.name == T::DECIMAL) {
    allowed = to.precision - to.scale >= IntegralDigits(from.name);
    if (!allowed) {
      return absl::StrCat(from.text, " → ", to.text, " is not a widening Delta allows: ", from.text,
                          " needs at least ", IntegralDigits(from.name),
                          " digits left of the decimal point");
    }
  } else if (from.name == T::DECIMAL && to.name == T::DECIMAL) {
    allowed = to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale;
  }
  if (allowed) return "";
  return absl::StrCat(from.text, " → ", to.text, " is not a widening Delta allows");
}

absl::StatusOr<DeltaStatement> BuildReadTable(const v1::ReadTableRequest& request,
                                              const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  std::string columns = "*";
  if (!request.columns().empty()) {
    GW_ASSIGN_OR_RETURN(columns, ColumnList(request.columns(), "columns"));
  }
  out.sql = absl::StrCat("SELECT ", columns, " FROM ", table);
  if (request.has_as_of()) {
    GW_ASSIGN_OR_RETURN(std::string version, VersionClause(request.as_of(), "as_of"));
    absl::StrAppend(&out.sql, " ", version);
  }
  if (request.has_filter()) {
    GW_ASSIGN_OR_RETURN(std::string where, Predicate(request.filter(), "filter", &out));
    absl::StrAppend(&out.sql, " WHERE ", where);
  }
  if (!request.order_by().empty()) {
    GW_ASSIGN_OR_RETURN(std::string order, ColumnList(request.order_by(), "order_by"));
    absl::StrAppend(&out.sql, " ORDER BY ", order);
  }
  if (request.limit() < 0) return InvalidField("limit", "must be >= 0");
  if (request.limit() > 0) absl::StrAppend(&out.sql, " LIMIT ", request.limit());
  return out;
}

absl::Status CheckWriteTable(const v1::WriteTableRequest& request, const NameDefaults& defaults) {
  GW_RETURN_IF_ERROR(Table(request.table(), "table", defaults).status());
  GW_RETURN_IF_ERROR(ColumnList(request.columns(), "columns").status());
  GW_RETURN_IF_ERROR(CheckRows(request.rows(), request.columns_size(), kMaxWriteRows, "rows"));
  switch (request.mode()) {
    case v1::WRITE_MODE_APPEND:
    case v1::WRITE_MODE_OVERWRITE:
      if (request.has_replace_where()) {
        return InvalidField("replace_where", "only for WRITE_MODE_REPLACE_WHERE");
      }
      return absl::OkStatus();
    case v1::WRITE_MODE_REPLACE_WHERE: {
      if (!request.has_replace_where()) {
        return InvalidField("replace_where", "required for WRITE_MODE_REPLACE_WHERE");
      }
      DeltaStatement scratch;
      return Predicate(request.replace_where(), "replace_where", &scratch).status();
    }
    default:
      return InvalidField("mode", "required: APPEND, OVERWRITE or REPLACE_WHERE");
  }
}

absl::StatusOr<DeltaStatement> BuildWriteTable(const v1::WriteTableRequest& request,
                                               const NameDefaults& defaults,
                                               const std::vector<std::string>& table_columns) {
  GW_RETURN_IF_ERROR(CheckWriteTable(request, defaults));
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  GW_ASSIGN_OR_RETURN(std::string columns, ColumnList(request.columns(), "columns"));
  // Where each written column's value comes from, in the order the statement lists them.
  std::vector<int> order;
  if (request.mode() == v1::WRITE_MODE_REPLACE_WHERE) {
    // REPLACE WHERE takes no column list: rows are written in table order, NULL for the
    // columns the request does not give.
    std::map<std::string, int> given;
    for (int c = 0; c < request.columns_size(); ++c) {
      given[absl::AsciiStrToLower(request.columns(c))] = c;
    }
    for (const std::string& name : table_columns) {
      auto it = given.find(absl::AsciiStrToLower(name));
      order.push_back(it == given.end() ? -1 : it->second);
      if (it != given.end()) given.erase(it);
    }
    if (!given.empty()) {
      return InvalidField("columns", absl::StrCat("'", request.columns(given.begin()->second),
                                                  "' is not a column of the table"));
    }
    GW_ASSIGN_OR_RETURN(std::string where,
                        Predicate(request.replace_where(), "replace_where", &out));
    out.sql = absl::StrCat("INSERT INTO ", table, " REPLACE WHERE ", where, " VALUES ");
  } else {
    for (int c = 0; c < request.columns_size(); ++c) order.push_back(c);
    out.sql = absl::StrCat(
        request.mode() == v1::WRITE_MODE_OVERWRITE ? "INSERT OVERWRITE " : "INSERT INTO ", table,
        " (", columns, ") VALUES ");
  }
  for (int r = 0; r < request.rows_size(); ++r) {
    absl::StrAppend(&out.sql, r == 0 ? "(" : ", (");
    for (size_t i = 0; i < order.size(); ++i) {
      absl::StrAppend(&out.sql, i == 0 ? "" : ", ",
                      order[i] < 0 ? "NULL" : Bind(request.rows(r).values(order[i]), &out));
    }
    absl::StrAppend(&out.sql, ")");
  }
  return out;
}

absl::StatusOr<DeltaStatement> BuildMergeInto(const v1::MergeIntoRequest& request,
                                              const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string target, Table(request.target(), "target", defaults));
  GW_RETURN_IF_ERROR(ColumnList(request.source_columns(), "source_columns").status());
  GW_RETURN_IF_ERROR(CheckRows(request.source_rows(), request.source_columns_size(), kMaxMergeRows,
                               "source_rows"));
  std::set<std::string> source;
  for (const std::string& c : request.source_columns()) source.insert(absl::AsciiStrToLower(c));
  if (request.merge_keys().empty())
    return InvalidField("merge_keys", "at least one key is required");
  std::vector<std::string> on;
  for (int i = 0; i < request.merge_keys_size(); ++i) {
    const std::string& key = request.merge_keys(i);
    GW_ASSIGN_OR_RETURN(std::string column, Column(key, absl::StrCat("merge_keys[", i, "]")));
    if (source.count(absl::AsciiStrToLower(key)) == 0) {
      return InvalidField(absl::StrCat("merge_keys[", i, "]"),
                          absl::StrCat("'", key, "' is not one of source_columns"));
    }
    on.push_back(absl::StrCat("`t`.", column, " = `s`.", column));
  }
  if (request.when_matched().empty() && request.when_not_matched().empty() &&
      request.when_not_matched_by_source().empty()) {
    return InvalidField("when_matched", "at least one WHEN clause is required");
  }
  // The source: one SELECT per row, naming the columns in the first.
  std::string rows;
  for (int r = 0; r < request.source_rows_size(); ++r) {
    absl::StrAppend(&rows, r == 0 ? "SELECT " : " UNION ALL SELECT ");
    for (int c = 0; c < request.source_columns_size(); ++c) {
      absl::StrAppend(&rows, c == 0 ? "" : ", ", Bind(request.source_rows(r).values(c), &out));
      if (r == 0) absl::StrAppend(&rows, " AS ", Quote(request.source_columns(c)));
    }
  }
  std::string clauses;
  // " AND <condition>" of a clause, or "" without one.
  auto condition = [&](const v1::Filter& filter, bool has, const std::string& field,
                       const std::set<std::string>& qualifiers) -> absl::StatusOr<std::string> {
    if (!has) return std::string();
    GW_ASSIGN_OR_RETURN(std::string sql,
                        Predicate(filter, absl::StrCat(field, ".condition"), &out, qualifiers));
    return absl::StrCat(" AND ", sql);
  };
  for (int i = 0; i < request.when_matched_size(); ++i) {
    const v1::MergeMatchedClause& clause = request.when_matched(i);
    const std::string field = absl::StrCat("when_matched[", i, "]");
    GW_ASSIGN_OR_RETURN(std::string cond,
                        condition(clause.condition(), clause.has_condition(), field, {"t", "s"}));
    std::string action;
    switch (clause.action_case()) {
      case v1::MergeMatchedClause::kUpdateAll:
        action = "UPDATE SET *";
        break;
      case v1::MergeMatchedClause::kUpdate: {
        GW_ASSIGN_OR_RETURN(AssignmentList set,
                            Assignments(clause.update().assignments(),
                                        absl::StrCat(field, ".update.assignments"), &source, &out));
        action = absl::StrCat("UPDATE SET ", SetList(set));
        break;
      }
      case v1::MergeMatchedClause::kDelete:
        action = "DELETE";
        break;
      case v1::MergeMatchedClause::ACTION_NOT_SET:
        return InvalidField(field, "set update_all, update or delete");
    }
    absl::StrAppend(&clauses, " WHEN MATCHED", cond, " THEN ", action);
  }
  for (int i = 0; i < request.when_not_matched_size(); ++i) {
    const v1::MergeNotMatchedClause& clause = request.when_not_matched(i);
    const std::string field = absl::StrCat("when_not_matched[", i, "]");
    GW_ASSIGN_OR_RETURN(std::string cond,
                        condition(clause.condition(), clause.has_condition(), field, {"s"}));
    std::string action;
    switch (clause.action_case()) {
      case v1::MergeNotMatchedClause::kInsertAll:
        action = "INSERT *";
        break;
      case v1::MergeNotMatchedClause::kInsert: {
        GW_ASSIGN_OR_RETURN(AssignmentList insert,
                            Assignments(clause.insert().assignments(),
                                        absl::StrCat(field, ".insert.assignments"), &source, &out));
        action = absl::StrCat("INSERT (", absl::StrJoin(insert.columns, ", "), ") VALUES (",
                              absl::StrJoin(insert.values, ", "), ")");
        break;
      }
      case v1::MergeNotMatchedClause::ACTION_NOT_SET:
        return InvalidField(field, "set insert_all or insert");
    }
    absl::StrAppend(&clauses, " WHEN NOT MATCHED", cond, " THEN ", action);
  }
  for (int i = 0; i < request.when_not_matched_by_source_size(); ++i) {
    const v1::MergeNotMatchedBySourceClause& clause = request.when_not_matched_by_source(i);
    const std::string field = absl::StrCat("when_not_matched_by_source[", i, "]");
    GW_ASSIGN_OR_RETURN(std::string cond,
                        condition(clause.condition(), clause.has_condition(), field, {"t"}));
    std::string action;
    switch (clause.action_case()) {
      case v1::MergeNotMatchedBySourceClause::kUpdate: {
        GW_ASSIGN_OR_RETURN(AssignmentList set,
                            Assignments(clause.update().assignments(),
                                        absl::StrCat(field, ".update.assignments"), nullptr, &out));
        action = absl::StrCat("UPDATE SET ", SetList(set));
        break;
      }
      case v1::MergeNotMatchedBySourceClause::kDelete:
        action = "DELETE";
        break;
      case v1::MergeNotMatchedBySourceClause::ACTION_NOT_SET:
        return InvalidField(field, "set update or delete");
    }
    absl::StrAppend(&clauses, " WHEN NOT MATCHED BY SOURCE", cond, " THEN ", action);
  }
  out.sql = absl::StrCat("MERGE ", request.with_schema_evolution() ? "WITH SCHEMA EVOLUTION " : "",
                         "INTO ", target, " AS `t` USING (", rows, ") AS `s` ON ",
                         absl::StrJoin(on, " AND "), clauses);
  return out;
}

absl::StatusOr<DeltaStatement> BuildDeleteRows(const v1::DeleteRowsRequest& request,
                                               const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  GW_RETURN_IF_ERROR(CheckNotBoth(request.has_where(), request.all_rows(), "delete"));
  out.sql = absl::StrCat("DELETE FROM ", table);
  if (request.has_where()) {
    GW_ASSIGN_OR_RETURN(std::string where, Predicate(request.where(), "where", &out));
    absl::StrAppend(&out.sql, " WHERE ", where);
  }
  return out;
}

absl::StatusOr<DeltaStatement> BuildUpdateRows(const v1::UpdateRowsRequest& request,
                                               const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  GW_RETURN_IF_ERROR(CheckNotBoth(request.has_where(), request.all_rows(), "update"));
  GW_ASSIGN_OR_RETURN(AssignmentList set, Assignments(request.set(), "set", nullptr, &out));
  out.sql = absl::StrCat("UPDATE ", table, " SET ", SetList(set));
  if (request.has_where()) {
    GW_ASSIGN_OR_RETURN(std::string where, Predicate(request.where(), "where", &out));
    absl::StrAppend(&out.sql, " WHERE ", where);
  }
  return out;
}

absl::StatusOr<DeltaStatement> BuildOptimizeTable(const v1::OptimizeTableRequest& request,
                                                  const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  out.sql = absl::StrCat("OPTIMIZE ", table);
  if (request.has_where()) {
    GW_ASSIGN_OR_RETURN(std::string where, Predicate(request.where(), "where", &out));
    absl::StrAppend(&out.sql, " WHERE ", where);
  }
  if (!request.zorder_by().empty()) {
    GW_ASSIGN_OR_RETURN(std::string columns, ColumnList(request.zorder_by(), "zorder_by"));
    absl::StrAppend(&out.sql, " ZORDER BY (", columns, ")");
  }
  return out;
}

absl::StatusOr<DeltaStatement> BuildVacuumTable(const v1::VacuumTableRequest& request,
                                                const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  out.sql = absl::StrCat("VACUUM ", table);
  if (request.has_retain_hours()) {
    if (request.retain_hours() < 0) return InvalidField("retain_hours", "must be >= 0");
    absl::StrAppend(&out.sql, " RETAIN ", request.retain_hours(), " HOURS");
  }
  if (request.dry_run()) absl::StrAppend(&out.sql, " DRY RUN");
  return out;
}

absl::StatusOr<DeltaStatement> BuildDescribeHistory(const v1::DescribeHistoryRequest& request,
                                                    const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  if (request.limit() < 0) return InvalidField("limit", "must be >= 0");
  out.sql = absl::StrCat("DESCRIBE HISTORY ", table);
  if (request.limit() > 0) absl::StrAppend(&out.sql, " LIMIT ", request.limit());
  return out;
}

absl::StatusOr<DeltaStatement> BuildRestoreTable(const v1::RestoreTableRequest& request,
                                                 const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  if (!request.has_to()) return InvalidField("to", "required: a version or a timestamp");
  GW_ASSIGN_OR_RETURN(std::string version, VersionClause(request.to(), "to"));
  out.sql = absl::StrCat("RESTORE TABLE ", table, " TO ", version);
  return out;
}

absl::StatusOr<DeltaStatement> BuildDescribeTable(const v1::TableName& table,
                                                  const v1::TableVersionSpec* as_of,
                                                  absl::string_view field,
                                                  const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string name, Table(table, field, defaults));
  if (as_of == nullptr) {
    out.sql = absl::StrCat("DESCRIBE TABLE ", name);
    return out;
  }
  // DESCRIBE takes no temporal specification; an empty read of that version has its schema.
  GW_ASSIGN_OR_RETURN(std::string version, VersionClause(*as_of, "as_of"));
  out.sql = absl::StrCat("SELECT * FROM ", name, " ", version, " LIMIT 0");
  return out;
}

absl::StatusOr<DeltaStatement> BuildCloneTable(const v1::CloneTableRequest& request,
                                               const NameDefaults& defaults) {
  DeltaStatement out;
  GW_ASSIGN_OR_RETURN(std::string source, Table(request.source(), "source", defaults));
  GW_ASSIGN_OR_RETURN(std::string target, Table(request.target(), "target", defaults));
  if (request.replace() && request.if_not_exists()) {
    return InvalidField("if_not_exists", "set replace or if_not_exists, not both");
  }
  const char* kind = nullptr;
  switch (request.clone_type()) {
    case v1::CloneTableRequest::SHALLOW:
      kind = "SHALLOW";
      break;
    case v1::CloneTableRequest::DEEP:
      kind = "DEEP";
      break;
    default:
      return InvalidField("clone_type", "required: SHALLOW or DEEP");
  }
  out.sql = absl::StrCat(request.replace() ? "CREATE OR REPLACE TABLE " : "CREATE TABLE ",
                         request.if_not_exists() ? "IF NOT EXISTS " : "", target, " ", kind,
                         " CLONE ", source);
  if (request.has_source_version()) {
    GW_ASSIGN_OR_RETURN(std::string version,
                        VersionClause(request.source_version(), "source_version"));
    absl::StrAppend(&out.sql, " ", version);
  }
  return out;
}

absl::StatusOr<DeltaStatement> BuildConvertToDelta(const v1::ConvertToDeltaRequest& request,
                                                   const NameDefaults& defaults) {
  DeltaStatement out;
  std::string source;
  switch (request.source_case()) {
    case v1::ConvertToDeltaRequest::kParquetTable: {
      GW_ASSIGN_OR_RETURN(source, Table(request.parquet_table(), "parquet_table", defaults));
      break;
    }
    case v1::ConvertToDeltaRequest::kParquetPath: {
      // A storage path is SQL text inside back quotes: URI characters only.
      const std::string& path = request.parquet_path();
      const bool uri = path.find("://") != std::string::npos;
      if (path.empty() || path.size() > kMaxLiteralLength || (!uri && path[0] != '/')) {
        return InvalidField("parquet_path", "an absolute path or a URI such as s3://bucket/dir");
      }
      for (size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
            std::string("/._-=:+@%~").find(c) == std::string::npos) {
          return InvalidField(
              "parquet_path",
              absl::StrCat("character at position ", i,
                           " is not allowed (letters, digits and / . _ - = : + @ % ~)"));
        }
      }
      source = absl::StrCat("parquet.`", path, "`");
      break;
    }
    case v1::ConvertToDeltaRequest::SOURCE_NOT_SET:
      return InvalidField("source", "set parquet_table or parquet_path");
  }
  out.sql = absl::StrCat("CONVERT TO DELTA ", source);
  if (request.no_statistics()) absl::StrAppend(&out.sql, " NO STATISTICS");
  if (!request.partition_columns().empty()) {
    std::vector<std::string> columns;
    for (int i = 0; i < request.partition_columns_size(); ++i) {
      const v1::NewColumn& c = request.partition_columns(i);
      const std::string field = absl::StrCat("partition_columns[", i, "]");
      GW_ASSIGN_OR_RETURN(std::string name, Column(c.name(), absl::StrCat(field, ".name")));
      GW_ASSIGN_OR_RETURN(SqlType type, ParseSqlType(c.type(), absl::StrCat(field, ".type")));
      columns.push_back(absl::StrCat(name, " ", type.text));
    }
    absl::StrAppend(&out.sql, " PARTITIONED BY (", absl::StrJoin(columns, ", "), ")");
  }
  return out;
}

absl::Status CheckEvolveSchema(const v1::EvolveSchemaRequest& request,
                               const NameDefaults& defaults) {
  GW_RETURN_IF_ERROR(Table(request.table(), "table", defaults).status());
  if (request.add_columns().empty() && request.widen_columns().empty()) {
    return InvalidField("add_columns", "nothing to change: give add_columns or widen_columns");
  }
  for (int i = 0; i < request.add_columns_size(); ++i) {
    const v1::NewColumn& c = request.add_columns(i);
    const std::string field = absl::StrCat("add_columns[", i, "]");
    GW_RETURN_IF_ERROR(ValidateIdentifier(c.name(), absl::StrCat(field, ".name")));
    GW_RETURN_IF_ERROR(ParseSqlType(c.type(), absl::StrCat(field, ".type")).status());
    GW_RETURN_IF_ERROR(ValidateLiteral(c.comment(), absl::StrCat(field, ".comment")));
  }
  for (int i = 0; i < request.widen_columns_size(); ++i) {
    const v1::TypeChange& c = request.widen_columns(i);
    const std::string field = absl::StrCat("widen_columns[", i, "]");
    GW_RETURN_IF_ERROR(ValidateIdentifier(c.column(), absl::StrCat(field, ".column")));
    GW_RETURN_IF_ERROR(ParseSqlType(c.new_type(), absl::StrCat(field, ".new_type")).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<SchemaEvolution> PlanSchemaEvolution(const v1::EvolveSchemaRequest& request,
                                                    const v1::Schema& current,
                                                    const NameDefaults& defaults) {
  GW_RETURN_IF_ERROR(CheckEvolveSchema(request, defaults));
  GW_ASSIGN_OR_RETURN(std::string table, Table(request.table(), "table", defaults));
  SchemaEvolution plan;
  plan.after = current;
  auto refuse = [&](const std::string& column, std::string reason) {
    v1::SchemaIncompatibility& i = plan.incompatibilities.emplace_back();
    i.set_column(column);
    i.set_reason(std::move(reason));
  };
  auto find = [&](const std::string& name) -> v1::ColumnSchema* {
    for (v1::ColumnSchema& c : *plan.after.mutable_columns()) {
      if (absl::EqualsIgnoreCase(c.name(), name)) return &c;
    }
    return nullptr;
  };
  std::vector<std::string> added;
  for (const v1::NewColumn& c : request.add_columns()) {
    if (find(c.name()) != nullptr) {
      refuse(c.name(), "the column already exists");
      continue;
    }
    const SqlType type = *ParseSqlType(c.type(), "type");
    v1::ColumnSchema& column = *plan.after.add_columns();
    column.set_name(c.name());
    column.set_position(plan.after.columns_size() - 1);
    column.set_type_name(type.name);
    column.set_type_text(absl::AsciiStrToLower(type.text));
    column.set_type_precision(type.precision);
    column.set_type_scale(type.scale);
    column.set_nullable(true);
    column.set_comment(c.comment());
    added.push_back(
        absl::StrCat(Quote(c.name()), " ", type.text,
                     c.comment().empty() ? "" : absl::StrCat(" COMMENT '", c.comment(), "'")));
  }
  std::vector<std::pair<std::string, std::string>> widened;  // column, new type
  for (const v1::TypeChange& change : request.widen_columns()) {
    v1::ColumnSchema* column = find(change.column());
    if (column == nullptr) {
      refuse(change.column(), "no such column");
      continue;
    }
    absl::StatusOr<SqlType> from = ParseSqlType(column->type_text(), "type", true);
    const SqlType to = *ParseSqlType(change.new_type(), "new_type");
    if (!from.ok()) {
      refuse(change.column(), absl::StrCat(column->type_text(), " cannot be widened"));
      continue;
    }
    std::string reason = WideningRefusal(*from, to);
    if (!reason.empty()) {
      refuse(change.column(), std::move(reason));
      continue;
    }
    if (from->text == to.text) continue;
    column->set_type_name(to.name);
    column->set_type_text(absl::AsciiStrToLower(to.text));
    column->set_type_precision(to.precision);
    column->set_type_scale(to.scale);
    widened.emplace_back(column->name(), to.text);
  }
  if (!plan.incompatibilities.empty()) return plan;
  if (!added.empty()) {
    plan.statements.push_back(
        {absl::StrCat("ALTER TABLE ", table, " ADD COLUMNS (", absl::StrJoin(added, ", "), ")"),
         {}});
  }
  if (!widened.empty()) {
    plan.statements.push_back(
        {absl::StrCat("ALTER TABLE ", table,
                      " SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')"),
         {}});
    for (const auto& [column, type] : widened) {
      plan.statements.push_back(
          {absl::StrCat("ALTER TABLE ", table, " ALTER COLUMN ", Quote(column), " TYPE ", type),
           {}});
    }
  }
  return plan;
}

absl::Status ParseDmlMetrics(const ResultRows& result, v1::DmlMetrics* out) {
  const Reader reader(result, "sql.statements (DML)");
  GW_ASSIGN_OR_RETURN(const int affected, reader.Index("num_affected_rows"));
  if (result.rows.empty()) return UnreadableResponse(reader.operation(), "no result row");
  const v1::Row& row = result.rows.front();
  GW_ASSIGN_OR_RETURN(int64_t n, reader.Int(row, affected));
  out->set_num_affected_rows(n);
  GW_ASSIGN_OR_RETURN(n, reader.Int(row, reader.Optional("num_inserted_rows")));
  out->set_num_inserted_rows(n);
  GW_ASSIGN_OR_RETURN(n, reader.Int(row, reader.Optional("num_updated_rows")));
  out->set_num_updated_rows(n);
  GW_ASSIGN_OR_RETURN(n, reader.Int(row, reader.Optional("num_deleted_rows")));
  out->set_num_deleted_rows(n);
  return absl::OkStatus();
}

absl::Status ParseOptimize(const ResultRows& result, v1::OptimizeTableResponse* out) {
  const Reader reader(result, "sql.statements (OPTIMIZE)");
  GW_ASSIGN_OR_RETURN(const int metrics, reader.Index("metrics"));
  if (result.rows.empty()) return UnreadableResponse(reader.operation(), "no result row");
  absl::StatusOr<json::Value> parsed =
      json::Parse(gateway::databricks::Reader::Text(result.rows.front(), metrics));
  if (!parsed.ok() || !parsed->is_object()) {
    return UnreadableResponse(reader.operation(), "metrics is not a JSON object");
  }
  Flatten(*parsed, "", out->mutable_metrics());
  int64_t n = 0;
  if (absl::SimpleAtoi((*out->mutable_metrics())["numFilesAdded"], &n)) out->set_num_files_added(n);
  if (absl::SimpleAtoi((*out->mutable_metrics())["numFilesRemoved"], &n)) {
    out->set_num_files_removed(n);
  }
  return absl::OkStatus();
}

absl::Status ParseVacuumDryRun(const ResultRows& result, v1::VacuumTableResponse* out) {
  const Reader reader(result, "sql.statements (VACUUM DRY RUN)");
  GW_ASSIGN_OR_RETURN(const int path, reader.Index("path"));
  for (const v1::Row& row : result.rows)
    out->add_files(gateway::databricks::Reader::Text(row, path));
  out->set_num_files(out->files_size());
  return absl::OkStatus();
}

absl::Status ParseVacuumHistory(const ResultRows& history, v1::VacuumTableResponse* out) {
  const Reader reader(history, "sql.statements (DESCRIBE HISTORY)");
  GW_ASSIGN_OR_RETURN(const int operation, reader.Index("operation"));
  GW_ASSIGN_OR_RETURN(const int metrics, reader.Index("operationMetrics"));
  for (const v1::Row& row : history.rows) {  // newest first
    if (gateway::databricks::Reader::Text(row, operation) != "VACUUM END") continue;
    google::protobuf::Map<std::string, std::string> values;
    GW_RETURN_IF_ERROR(ReadMap(reader, row, metrics, &values));
    int64_t n = 0;
    if (absl::SimpleAtoi(values["numDeletedFiles"], &n)) out->set_num_files(n);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status ParseHistory(const ResultRows& result, v1::DescribeHistoryResponse* out) {
  const Reader reader(result, "sql.statements (DESCRIBE HISTORY)");
  GW_ASSIGN_OR_RETURN(const int version, reader.Index("version"));
  GW_ASSIGN_OR_RETURN(const int timestamp, reader.Index("timestamp"));
  GW_ASSIGN_OR_RETURN(const int operation, reader.Index("operation"));
  const int user_id = reader.Optional("userId");
  const int user_name = reader.Optional("userName");
  const int parameters = reader.Optional("operationParameters");
  const int metrics = reader.Optional("operationMetrics");
  const int read_version = reader.Optional("readVersion");
  const int isolation = reader.Optional("isolationLevel");
  const int blind = reader.Optional("isBlindAppend");
  const int cluster = reader.Optional("clusterId");
  const int engine = reader.Optional("engineInfo");
  for (const v1::Row& row : result.rows) {
    v1::HistoryEntry& entry = *out->add_entries();
    GW_ASSIGN_OR_RETURN(int64_t v, reader.Int(row, version));
    entry.set_version(v);
    if (row.values(timestamp).has_timestamp_value()) {
      *entry.mutable_timestamp() = row.values(timestamp).timestamp_value();
    }
    entry.set_user_id(gateway::databricks::Reader::Text(row, user_id));
    entry.set_user_name(gateway::databricks::Reader::Text(row, user_name));
    entry.set_operation(gateway::databricks::Reader::Text(row, operation));
    if (parameters >= 0) {
      GW_RETURN_IF_ERROR(ReadMap(reader, row, parameters, entry.mutable_operation_parameters()));
    }
    if (metrics >= 0) {
      GW_RETURN_IF_ERROR(ReadMap(reader, row, metrics, entry.mutable_operation_metrics()));
    }
    GW_ASSIGN_OR_RETURN(int64_t read, reader.Int(row, read_version, -1));
    if (read >= 0) entry.set_read_version(read);
    entry.set_isolation_level(gateway::databricks::Reader::Text(row, isolation));
    entry.set_is_blind_append(gateway::databricks::Reader::Text(row, blind) == "true");
    entry.set_cluster_id(gateway::databricks::Reader::Text(row, cluster));
    entry.set_engine_info(gateway::databricks::Reader::Text(row, engine));
  }
  return absl::OkStatus();
}

absl::Status ParseRestore(const ResultRows& result, v1::RestoreTableResponse* out) {
  const Reader reader(result, "sql.statements (RESTORE)");
  if (result.rows.empty()) return UnreadableResponse(reader.operation(), "no result row");
  const v1::Row& row = result.rows.front();
  const std::pair<const char*, void (v1::RestoreTableResponse::*)(int64_t)> fields[] = {
      {"table_size_after_restore", &v1::RestoreTableResponse::set_table_size_after_restore},
      {"num_of_files_after_restore", &v1::RestoreTableResponse::set_num_of_files_after_restore},
      {"num_removed_files", &v1::RestoreTableResponse::set_num_removed_files},
      {"num_restored_files", &v1::RestoreTableResponse::set_num_restored_files},
      {"removed_files_size", &v1::RestoreTableResponse::set_removed_files_size},
      {"restored_files_size", &v1::RestoreTableResponse::set_restored_files_size}};
  for (const auto& [name, set] : fields) {
    GW_ASSIGN_OR_RETURN(const int column, reader.Index(name));
    GW_ASSIGN_OR_RETURN(int64_t n, reader.Int(row, column));
    (out->*set)(n);
  }
  return absl::OkStatus();
}

absl::Status ParseClone(const ResultRows& result, v1::CloneTableResponse* out) {
  const Reader reader(result, "sql.statements (CLONE)");
  // CREATE TABLE IF NOT EXISTS … CLONE of an existing table returns no row: nothing copied.
  if (result.rows.empty()) return absl::OkStatus();
  const v1::Row& row = result.rows.front();
  const std::pair<const char*, void (v1::CloneTableResponse::*)(int64_t)> fields[] = {
      {"source_table_size", &v1::CloneTableResponse::set_source_table_size},
      {"source_num_of_files", &v1::CloneTableResponse::set_source_num_of_files},
      {"num_copied_files", &v1::CloneTableResponse::set_num_copied_files},
      {"copied_files_size", &v1::CloneTableResponse::set_copied_files_size}};
  for (const auto& [name, set] : fields) {
    GW_ASSIGN_OR_RETURN(int64_t n, reader.Int(row, reader.Optional(name)));
    (out->*set)(n);
  }
  return absl::OkStatus();
}

absl::Status ParseTableSchema(const ResultRows& result, v1::Schema* out) {
  const Reader reader(result, "sql.statements (DESCRIBE TABLE)");
  GW_ASSIGN_OR_RETURN(const int name, reader.Index("col_name"));
  GW_ASSIGN_OR_RETURN(const int type, reader.Index("data_type"));
  const int comment = reader.Optional("comment");
  for (const v1::Row& row : result.rows) {
    const std::string column_name = gateway::databricks::Reader::Text(row, name);
    if (column_name.empty() || absl::StartsWith(column_name, "#")) break;
    v1::ColumnSchema& column = *out->add_columns();
    column.set_name(column_name);
    column.set_position(out->columns_size() - 1);
    const std::string type_text = gateway::databricks::Reader::Text(row, type);
    column.set_type_text(type_text);
    absl::StatusOr<SqlType> parsed = ParseSqlType(type_text, "data_type", true);
    if (parsed.ok()) {
      column.set_type_name(parsed->name);
      column.set_type_precision(parsed->precision);
      column.set_type_scale(parsed->scale);
    }
    column.set_nullable(true);
    column.set_comment(gateway::databricks::Reader::Text(row, comment));
  }
  return absl::OkStatus();
}

}  // namespace gateway::databricks
