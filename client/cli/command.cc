#include "client/cli/command.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/values.h"
#include "google/protobuf/util/json_util.h"

namespace gateway::cli {

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  const absl::StatusCode code = status.code();
  if (code == absl::StatusCode::kResourceExhausted) return kExitThrottled;
  const client::ErrorDetails details = client::DetailsOf(status);
  if (details.domain == client::kDatabricksDomain) return kExitDatabricksFailure;
  if (code == absl::StatusCode::kUnauthenticated || code == absl::StatusCode::kPermissionDenied) {
    return kExitAuth;
  }
  if (details.domain.empty() &&
      (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
       code == absl::StatusCode::kCancelled || code == absl::StatusCode::kUnknown)) {
    return kExitUnreachable;
  }
  return kExitRefused;
}

int Context::Fail(const absl::Status& status) const {
  progress.Finish();
  err << "dbgw: " << client::DescribeError(status) << "\n";
  return ExitCodeFor(status);
}

int Context::Usage(const std::string& message) const {
  err << "dbgw: " << message << " (see dbgw " << spec.path << " --help)\n";
  return kExitUsage;
}

int Context::DatabricksFailure(const std::string& message) const {
  progress.Finish();
  err << "dbgw: " << message << "\n";
  return kExitDatabricksFailure;
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::Status MergeRequestFile(const ParsedArgs& args, google::protobuf::Message* request) {
  if (!args.Has("request")) return absl::OkStatus();
  const std::string path = args.Get("request");
  absl::StatusOr<std::string> text = ReadInput(path);
  if (!text.ok())
    return absl::InvalidArgumentError(absl::StrCat("--request: ", text.status().message()));
  std::unique_ptr<google::protobuf::Message> parsed(request->New());
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(*text, parsed.get(), options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--request ", path, ": not a ",
                                                   request->GetDescriptor()->name(),
                                                   " in JSON: ", std::string(status.message())));
  }
  request->MergeFrom(*parsed);
  return absl::OkStatus();
}

absl::Status AddParameters(const std::vector<std::string>& specs,
                           google::protobuf::RepeatedPtrField<v1::SqlParameter>* parameters) {
  for (const std::string& spec : specs) {
    const size_t equals = spec.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--param \"", spec, "\": expected name=value or name:TYPE=value"));
    }
    std::string name = spec.substr(0, equals);
    std::string type;
    if (size_t colon = name.find(':'); colon != std::string::npos) {
      type = name.substr(colon + 1);
      name.resize(colon);
      if (name.empty() || type.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--param \"", spec, "\": expected name=value or name:TYPE=value"));
      }
    }
    *parameters->Add() =
        client::Parameter(name, client::StringValue(spec.substr(equals + 1)), type);
  }
  return absl::OkStatus();
}

absl::Status AddKeyValues(const std::string& flag, const std::vector<std::string>& pairs,
                          google::protobuf::Map<std::string, std::string>* map) {
  for (const std::string& pair : pairs) {
    const size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " \"", pair, "\": expected key=value"));
    }
    (*map)[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::TableName> TableArgument(const std::string& text) {
  return client::ParseTableName(text);
}

absl::StatusOr<v1::Value> TextToValue(const std::string& text, const v1::ColumnSchema& column) {
  auto not_a = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("column ", column.name(), ": \"", text, "\" is not ", what));
  };
  using Type = v1::ColumnSchema;
  switch (column.type_name()) {
    case Type::BOOLEAN: {
      const std::string lower = absl::AsciiStrToLower(text);
      if (lower == "true") return client::BoolValue(true);
      if (lower == "false") return client::BoolValue(false);
      return not_a("a BOOLEAN (true or false)");
    }
    case Type::BYTE:
    case Type::SHORT:
    case Type::INT:
    case Type::LONG: {
      int64_t value = 0;
      if (!absl::SimpleAtoi(text, &value))
        return not_a(absl::StrCat("an integer (", column.type_text(), ")"));
      return client::IntValue(value);
    }
    case Type::FLOAT:
    case Type::DOUBLE: {
      double value = 0;
      if (!absl::SimpleAtod(text, &value)) return not_a("a number");
      return client::DoubleValue(value);
    }
    case Type::DECIMAL: {
      std::string digits = text;
      if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.erase(0, 1);
      int dots = 0;
      bool ok = !digits.empty();
      for (char c : digits) {
        if (c == '.') {
          ++dots;
        } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
          ok = false;
        }
      }
      if (!ok || dots > 1) return not_a("a DECIMAL");
      return client::DecimalValue(text);
    }
    case Type::DATE: {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(text, &day)) return not_a("a DATE (YYYY-MM-DD)");
      return client::DateValue(static_cast<int>(day.year()), day.month(), day.day());
    }
    case Type::TIMESTAMP:
    case Type::TIMESTAMP_NTZ: {
      absl::Time time;
      std::string error;
      std::string normalized = text;
      if (normalized.size() > 10 && normalized[10] == ' ') normalized[10] = 'T';
      if (absl::ParseTime(absl::RFC3339_full, normalized, &time, &error) ||
          absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", normalized, absl::UTCTimeZone(), &time, &error)) {
        return client::TimestampValue(time);
      }
      return not_a("a TIMESTAMP (2026-11-21T08:30:00Z)");
    }
    case Type::BINARY: {
      std::string bytes;
      if (!absl::Base64Unescape(text, &bytes)) return not_a("base64 (BINARY)");
      v1::Value value;
      value.set_bytes_value(bytes);
      return value;
    }
    default:
      return client::StringValue(text);
  }
}

int PrintRows(Context& context, client::RowReader& reader) {
  context.progress.Set("waiting for the result");
  if (!reader.ReadHeader()) return context.Fail(reader.status());
  const v1::StreamHeader& header = reader.header();
  const int64_t total_rows = header.manifest().total_row_count();
  const int total_chunks = header.manifest().total_chunk_count();
  context.printer.BeginRows(reader.schema());
  v1::ResultChunk chunk;
  while (reader.NextChunk(&chunk)) {
    for (const v1::Row& row : chunk.rows()) context.printer.Row(row);
    context.progress.Set(absl::StrCat("statement ", header.statement_id(), "  rows ",
                                      reader.rows_read(), "/", total_rows, "  chunks ",
                                      reader.chunks_read(), "/", total_chunks));
  }
  if (!reader.status().ok()) return context.Fail(reader.status());
  context.progress.Finish();
  context.printer.End();
  if (header.manifest().truncated()) {
    context.err << "dbgw: the result was truncated at " << reader.rows_read() << " rows\n";
  }
  return kExitOk;
}

}  // namespace gateway::cli
