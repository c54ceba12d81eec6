#include "client/values.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gateway::client {

v1::Value NullValue() {
  v1::Value value;
  value.set_null_value(true);
  return value;
}

v1::Value BoolValue(bool value) {
  v1::Value out;
  out.set_bool_value(value);
  return out;
}

v1::Value IntValue(int64_t value) {
  v1::Value out;
  out.set_int_value(value);
  return out;
}

v1::Value DoubleValue(double value) {
  v1::Value out;
  out.set_double_value(value);
  return out;
}

v1::Value DecimalValue(absl::string_view text) {
  v1::Value value;
  value.set_decimal_value(std::string(text));
  return value;
}

v1::Value StringValue(absl::string_view value) {
  v1::Value out;
  out.set_string_value(std::string(value));
  return out;
}

v1::Value DateValue(int year, int month, int day) {
  v1::Value value;
  value.mutable_date_value()->set_year(year);
  value.mutable_date_value()->set_month(month);
  value.mutable_date_value()->set_day(day);
  return value;
}

v1::Value TimestampValue(absl::Time time) {
  v1::Value value;
  const absl::Duration since_epoch = time - absl::UnixEpoch();
  const int64_t seconds = absl::ToInt64Seconds(absl::Floor(since_epoch, absl::Seconds(1)));
  value.mutable_timestamp_value()->set_seconds(seconds);
  value.mutable_timestamp_value()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(seconds))));
  return value;
}

v1::SqlParameter Parameter(absl::string_view name, v1::Value value, absl::string_view type) {
  v1::SqlParameter parameter;
  parameter.set_name(std::string(name));
  *parameter.mutable_value() = std::move(value);
  parameter.set_type(std::string(type));
  return parameter;
}

absl::StatusOr<v1::TableName> ParseTableName(absl::string_view text) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '`') {
      if (quoted && i + 1 < text.size() && text[i + 1] == '`') {
        parts.back() += '`';  // `` inside quotes is one back quote
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == '.' && !quoted) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  if (quoted) {
    return absl::InvalidArgumentError(absl::StrCat("table name \"", text, "\": unclosed `"));
  }
  if (parts.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("table name \"", text, "\": more than three parts (catalog.schema.table)"));
  }
  if (parts.back().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("table name \"", text, "\": no table"));
  }
  v1::TableName name;
  name.set_table(parts.back());
  if (parts.size() >= 2) name.set_schema(parts[parts.size() - 2]);
  if (parts.size() == 3) name.set_catalog(parts[0]);
  return name;
}

std::string FormatTableName(const v1::TableName& name) {
  std::vector<std::string> parts;
  if (!name.catalog().empty()) parts.push_back(name.catalog());
  if (!name.schema().empty() || !parts.empty()) parts.push_back(name.schema());
  parts.push_back(name.table());
  return absl::StrJoin(parts, ".");
}

}  // namespace gateway::client
