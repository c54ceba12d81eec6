#include "client/cli/output.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace gateway::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;

std::string MessageJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  std::string json;
  // Printing a well-formed message cannot fail; an empty object is the fallback.
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) json = "{}";
  if (pretty && !json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

// Text of element `index` of a repeated field, or of a singular field (index -1).
std::string ScalarText(const google::protobuf::Message& message, const FieldDescriptor* field,
                       int index) {
  const Reflection* r = message.GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(message, field, index)
                              : r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(message, field, index)
                              : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(message, field, index)
                              : r->GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(message, field, index)
                              : r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(message, field, index)
                              : r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(message, field, index)
                              : r->GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field))->name();
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string text =
          rep ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      if (field->type() == FieldDescriptor::TYPE_BYTES) return absl::Base64Escape(text);
      return text;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageJson(
          rep ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field),
          false);
  }
  return "";
}

// Timestamps (google.protobuf.Timestamp) read better as RFC 3339 than as JSON.
bool IsTimestamp(const google::protobuf::Descriptor* type) {
  return type->full_name() == "google.protobuf.Timestamp";
}

std::string TimestampText(const google::protobuf::Message& timestamp) {
  const Reflection* r = timestamp.GetReflection();
  const auto* d = timestamp.GetDescriptor();
  const int64_t seconds = r->GetInt64(timestamp, d->FindFieldByName("seconds"));
  const int32_t nanos = r->GetInt32(timestamp, d->FindFieldByName("nanos"));
  const absl::Time time = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

void FlattenInto(const google::protobuf::Message& message, const std::string& prefix,
                 std::vector<std::pair<std::string, std::string>>* out) {
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (field->is_map()) {
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        const google::protobuf::Message& entry = r->GetRepeatedMessage(message, field, i);
        const auto* entry_type = entry.GetDescriptor();
        out->emplace_back(
            absl::StrCat(path, ".", ScalarText(entry, entry_type->FindFieldByNumber(1), -1)),
            ScalarText(entry, entry_type->FindFieldByNumber(2), -1));
      }
    } else if (field->is_repeated()) {
      const int size = r->FieldSize(message, field);
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        std::vector<std::string> items;
        items.reserve(size);
        for (int i = 0; i < size; ++i) items.push_back(ScalarText(message, field, i));
        out->emplace_back(path, absl::StrJoin(items, ","));
        continue;
      }
      for (int i = 0; i < size; ++i) {
        FlattenInto(r->GetRepeatedMessage(message, field, i), absl::StrCat(path, "[", i, "]"), out);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const google::protobuf::Message& child = r->GetMessage(message, field);
      if (IsTimestamp(child.GetDescriptor())) {
        out->emplace_back(path, TimestampText(child));
      } else {
        FlattenInto(child, path, out);
      }
    } else {
      out->emplace_back(path, ScalarText(message, field, -1));
    }
  }
}

// Cells of a table are one line each.
std::string OneLine(absl::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return line;
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text == "table") return Format::kTable;
  if (text == "json") return Format::kJson;
  if (text == "csv") return Format::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("--output: \"", text, "\" is not one of table, json, csv"));
}

std::string FieldText(const google::protobuf::Message& message, absl::string_view path) {
  const google::protobuf::Message* current = &message;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    if (field == nullptr) return "";
    const Reflection* r = current->GetReflection();
    const bool last = i + 1 == parts.size();
    if (field->is_repeated()) {
      const int size = r->FieldSize(*current, field);
      std::vector<std::string> items;
      items.reserve(size);
      for (int k = 0; k < size; ++k) items.push_back(ScalarText(*current, field, k));
      return absl::StrJoin(items, ",");
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!r->HasField(*current, field)) return "";
      current = &r->GetMessage(*current, field);
      if (last) {
        return IsTimestamp(current->GetDescriptor()) ? TimestampText(*current)
                                                     : MessageJson(*current, false);
      }
      continue;
    }
    if (!last) return "";
    // An unset `optional` field has no value (DescribeHistory's read_version of version 0).
    if (field->has_presence() && !r->HasField(*current, field)) return "";
    return ScalarText(*current, field, -1);
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> Flatten(const google::protobuf::Message& message) {
  std::vector<std::pair<std::string, std::string>> out;
  FlattenInto(message, "", &out);
  return out;
}

std::string ValueText(const v1::Value& value, absl::string_view null_text) {
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
    case v1::Value::kNullValue:
      return std::string(null_text);
    case v1::Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case v1::Value::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::Value::kDoubleValue:
      return absl::StrCat(value.double_value());
    case v1::Value::kDecimalValue:
      return value.decimal_value();
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kBytesValue:
      return absl::Base64Escape(value.bytes_value());
    case v1::Value::kDateValue:
      return absl::StrFormat("%04d-%02d-%02d", value.date_value().year(),
                             value.date_value().month(), value.date_value().day());
    case v1::Value::kTimestampValue:
      return TimestampText(value.timestamp_value());
  }
  return "";
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string ValueJson(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
    case v1::Value::kNullValue:
      return "null";
    case v1::Value::kBoolValue:
    case v1::Value::kIntValue:
      return ValueText(value, "null");
    case v1::Value::kDoubleValue:
      if (!std::isfinite(value.double_value())) return JsonString(ValueText(value, ""));
      return absl::StrFormat("%.17g", value.double_value());
    default:
      return JsonString(ValueText(value, ""));
  }
}

std::string CsvLine(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    const std::string& cell = cells[i];
    if (cell.find_first_of(",\"\r\n") == std::string::npos) {
      line += cell;
      continue;
    }
    line += '"';
    for (char c : cell) {
      if (c == '"') line += '"';
      line += c;
    }
    line += '"';
  }
  line += "\r\n";
  return line;
}

std::string RenderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(headers.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], cells[i].size());
    }
  };
  std::vector<std::string> upper;
  upper.reserve(headers.size());
  for (const std::string& header : headers) upper.push_back(absl::AsciiStrToUpper(header));
  measure(upper);
  for (const auto& row : rows) measure(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - cells[i].size() + 2, ' ');
    }
    out += text + "\n";
  };
  line(upper);
  for (const auto& row : rows) line(row);
  return out;
}

void Printer::Message(const google::protobuf::Message& message) {
  if (format_ == Format::kJson) {
    write_(MessageJson(message, true) + "\n");
    return;
  }
  const auto fields = Flatten(message);
  if (format_ == Format::kCsv) {
    std::vector<std::string> header;
    std::vector<std::string> values;
    header.reserve(fields.size());
    values.reserve(fields.size());
    for (const auto& [path, text] : fields) {
      header.push_back(path);
      values.push_back(text);
    }
    write_(CsvLine(header) + CsvLine(values));
    return;
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(fields.size());
  for (const auto& [path, text] : fields) rows.push_back({path, OneLine(text)});
  write_(RenderTable({"field", "value"}, rows));
}

void Printer::BeginList(std::vector<Column> columns) {
  columns_ = std::move(columns);
  row_columns_.clear();
  for (const Column& column : columns_) row_columns_.push_back(column.header);
  table_.clear();
  if (format_ == Format::kCsv) write_(CsvLine(row_columns_));
}

void Printer::Item(const google::protobuf::Message& item) {
  if (format_ == Format::kJson) {
    write_(MessageJson(item, false) + "\n");
    return;
  }
  std::vector<std::string> cells;
  for (const Column& column : columns_) {
    std::string text = FieldText(item, column.path);
    int64_t millis = 0;
    if (column.epoch_millis && absl::SimpleAtoi(text, &millis)) {
      text = millis == 0 ? ""
                         : absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(millis),
                                            absl::UTCTimeZone());
    }
    cells.push_back(std::move(text));
  }
  Line(cells);
}

void Printer::BeginRows(const v1::Schema& schema) {
  columns_.clear();
  row_columns_.clear();
  for (const v1::ColumnSchema& column : schema.columns()) row_columns_.push_back(column.name());
  table_.clear();
  if (format_ == Format::kCsv) write_(CsvLine(row_columns_));
}

void Printer::Row(const v1::Row& row) {
  if (format_ == Format::kJson) {
    std::string object = "{";
    for (int i = 0; i < row.values_size(); ++i) {
      if (i > 0) object += ",";
      const std::string name =
          i < static_cast<int>(row_columns_.size()) ? row_columns_[i] : absl::StrCat("_", i);
      absl::StrAppend(&object, JsonString(name), ":", ValueJson(row.values(i)));
    }
    write_(object + "}\n");
    return;
  }
  std::vector<std::string> cells;
  for (const v1::Value& value : row.values()) {
    cells.push_back(ValueText(value, format_ == Format::kCsv ? "" : "NULL"));
  }
  Line(cells);
}

void Printer::Line(const std::vector<std::string>& cells) {
  if (format_ == Format::kCsv) {
    write_(CsvLine(cells));
    return;
  }
  std::vector<std::string> one_line;
  one_line.reserve(cells.size());
  for (const std::string& cell : cells) one_line.push_back(OneLine(cell));
  table_.push_back(std::move(one_line));
}

void Printer::End() {
  // A statement without a result (CREATE TABLE …) has no columns: nothing to print.
  if (format_ == Format::kTable && !row_columns_.empty()) write_(RenderTable(row_columns_, table_));
  table_.clear();
}

}  // namespace gateway::cli
