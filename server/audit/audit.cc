#include "server/audit/audit.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/common/json.h"
#include "server/databricks/sql_refs.h"

namespace gateway::audit {
namespace {

namespace pb = ::google::protobuf;

// Longest id or name written; anything longer is cut (a caller chose it).
constexpr size_t kMaxObjectBytes = 256;
// Most objects one record lists; "…" says there were more.
constexpr size_t kMaxObjects = 64;
// How deep a request is read: far more than any request of the API nests.
constexpr int kMaxDepth = 8;

void Add(std::string object, std::vector<std::string>* objects) {
  if (objects->size() > kMaxObjects) return;
  if (objects->size() == kMaxObjects) {
    objects->push_back("…");  // a caller's statement may name millions: the record stays small
    return;
  }
  if (object.size() > kMaxObjectBytes) object.resize(kMaxObjectBytes);
  if (std::find(objects->begin(), objects->end(), object) == objects->end()) {
    objects->push_back(std::move(object));
  }
}

// A handle's Databricks id: what comes before its MAC ("ID.MAC"), or the whole value.
std::string IdOf(absl::string_view handle) {
  const size_t dot = handle.rfind('.');
  return std::string(dot == absl::string_view::npos ? handle : handle.substr(0, dot));
}

void AddSqlObjects(absl::string_view sql, std::vector<std::string>* objects) {
  if (objects->size() >= kMaxObjects) return;
  absl::StatusOr<databricks::SqlReferences> found = databricks::FindSqlReferences(sql, "sql");
  if (!found.ok()) return;
  for (const databricks::SqlReference& ref : found->references) {
    Add(absl::StrCat(ref.kind == databricks::SqlReference::Kind::kFunction ? "function:" : "table:",
                     absl::StrJoin(ref.parts, ".")),
        objects);
  }
}

void AddString(const pb::Descriptor& owner, const std::string& field, const std::string& value,
               std::vector<std::string>* objects) {
  if (value.empty()) return;
  if (field == "run_id") {
    Add(absl::StrCat("run:", IdOf(value)), objects);
  } else if (field == "statement_id") {
    Add(absl::StrCat("statement:", IdOf(value)), objects);
  } else if (field == "warehouse_id" ||
             (field == "id" && absl::StrContains(owner.name(), "Warehouse"))) {
    Add(absl::StrCat("warehouse:", value), objects);
  } else if (field == "parquet_path" || field == "checkpoint_location" ||
             (field == "path" && owner.name() == "FileSource")) {
    Add(absl::StrCat("path:", value), objects);
  } else if (field == "statement" || field == "query") {
    AddSqlObjects(value, objects);
  }
}

void Walk(const pb::Message& message, bool nested, int depth, std::vector<std::string>* objects) {
  const pb::Descriptor& descriptor = *message.GetDescriptor();
  const pb::Reflection& reflection = *message.GetReflection();
  if (descriptor.name() == "TableName") {
    std::vector<std::string> parts;
    for (const char* name : {"catalog", "schema", "table"}) {
      const pb::FieldDescriptor* field = descriptor.FindFieldByName(name);
      if (field == nullptr) continue;
      const std::string part = reflection.GetString(message, field);
      if (!part.empty()) parts.push_back(part);
    }
    if (!parts.empty()) Add(absl::StrCat("table:", absl::StrJoin(parts, ".")), objects);
    return;
  }
  std::vector<const pb::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->is_map()) continue;
    const bool message_field = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE;
    if (field->is_repeated()) {
      if (!message_field || !nested || depth >= kMaxDepth) continue;
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        Walk(reflection.GetRepeatedMessage(message, field, i), nested, depth + 1, objects);
      }
      continue;
    }
    switch (field->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (nested && depth < kMaxDepth) {
          Walk(reflection.GetMessage(message, field), nested, depth + 1, objects);
        }
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        AddString(descriptor, field->name(), reflection.GetString(message, field), objects);
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        if (field->name() == "job_id" && reflection.GetInt64(message, field) > 0) {
          Add(absl::StrCat("job:", reflection.GetInt64(message, field)), objects);
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(
    const std::string& path, std::function<std::string(absl::string_view)> scrub) {
  if (path == "-") {
    return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(stdout, false, std::move(scrub)));
  }
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit.path: cannot open ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(file, true, std::move(scrub)));
}

JsonLinesSink::~JsonLinesSink() {
  absl::MutexLock lock(&mu_);
  if (owned_) std::fclose(file_);
}

void JsonLinesSink::Write(const Record& record) {
  json::Value line = json::Value::EmptyObject();
  json::Value objects = json::Value::EmptyArray();
  for (const std::string& object : record.objects) objects.Append(object);
  line.Set("type", "audit")
      .Set("ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", record.time, absl::UTCTimeZone()))
      .Set("request_id", record.request_id)
      .Set("trace_id", record.trace_id)
      .Set("tenant", record.tenant)
      .Set("method", record.method)
      .Set("objects", objects)
      .Set("code", record.code)
      .Set("reason", record.reason)
      .Set("message", scrub_ != nullptr ? scrub_(record.message) : record.message)
      .Set("upstream_requests", record.upstream_requests)
      .Set("duration_ms", record.duration_ms)
      .Set("dry_run", record.dry_run);
  std::string text = line.Dump();
  text.push_back('\n');
  absl::MutexLock lock(&mu_);
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

std::string TraceIdOf(absl::string_view traceparent) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(traceparent), '-');
  if (parts.size() < 4 || parts[0].size() != 2 || parts[1].size() != 32 || parts[2].size() != 16 ||
      parts[3].size() != 2 || parts[0] == "ff") {
    return "";
  }
  for (absl::string_view part : parts) {
    for (const char c : part) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) || absl::ascii_isupper(c)) {
        return "";
      }
    }
  }
  if (parts[1] == std::string(32, '0')) return "";
  return std::string(parts[1]);
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("%016x%016x", random(), random());
}

void AddObjectsOf(const google::protobuf::Message& message, bool nested,
                  std::vector<std::string>* objects) {
  Walk(message, nested, 0, objects);
}

}  // namespace gateway::audit
