#include "tests/emulator/config.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace emulator {
namespace {

// Reads typed members of JSON objects, collecting errors with their paths.
class Reader {
 public:
  // Checks that `object` is an object with only `allowed` keys.
  bool Object(const json::Value& object, const std::string& path,
              std::initializer_list<const char*> allowed) {
    if (!object.is_object()) {
      Error(path, "must be a mapping");
      return false;
    }
    const std::set<std::string> keys(allowed.begin(), allowed.end());
    for (const auto& [key, value] : object.as_object()) {
      if (keys.count(key) == 0) {
        Error(Join(path, key),
              absl::StrCat("unknown key; expected one of: ", absl::StrJoin(allowed, ", ")));
      }
    }
    return true;
  }
  void String(const json::Value& o, const std::string& path, const char* key, std::string* out) {
    const json::Value* v = o.Find(key);
    if (v == nullptr) return;
    if (v->is_string()) {
      *out = v->as_string();
    } else if (v->is_number() || v->is_bool()) {
      *out = v->Dump();
    } else {
      Error(Join(path, key), "must be a string");
    }
  }
  void Int(const json::Value& o, const std::string& path, const char* key, int64_t* out) {
    const json::Value* v = o.Find(key);
    if (v == nullptr) return;
    if (!v->is_int()) {
      Error(Join(path, key), "must be an integer");
      return;
    }
    *out = v->as_int();
  }
  void Int(const json::Value& o, const std::string& path, const char* key, int* out) {
    int64_t value = *out;
    Int(o, path, key, &value);
    *out = static_cast<int>(value);
  }
  void Double(const json::Value& o, const std::string& path, const char* key, double* out) {
    const json::Value* v = o.Find(key);
    if (v == nullptr) return;
    if (!v->is_number()) {
      Error(Join(path, key), "must be a number");
      return;
    }
    *out = v->as_double();
  }
  // Seconds (fractions allowed) into milliseconds.
  void Seconds(const json::Value& o, const std::string& path, const char* key, int64_t* ms) {
    double seconds = -1;
    Double(o, path, key, &seconds);
    if (o.Find(key) == nullptr || !o.Find(key)->is_number()) return;
    if (seconds < 0) {
      Error(Join(path, key), "must be >= 0");
      return;
    }
    *ms = static_cast<int64_t>(seconds * 1000);
  }
  void Bool(const json::Value& o, const std::string& path, const char* key, bool* out) {
    const json::Value* v = o.Find(key);
    if (v == nullptr) return;
    if (!v->is_bool()) {
      Error(Join(path, key), "must be true or false");
      return;
    }
    *out = v->as_bool();
  }
  const json::Value* List(const json::Value& o, const std::string& path, const char* key) {
    const json::Value* v = o.Find(key);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      Error(Join(path, key), "must be a list");
      return nullptr;
    }
    return v;
  }
  void Error(const std::string& path, const std::string& message) {
    errors_.push_back(absl::StrCat(path, ": ", message));
  }
  absl::Status status() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  }
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }

 private:
  std::vector<std::string> errors_;
};

std::string Index(const std::string& path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

json::Value ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return json::Value(text);  // quoted
  if (text == "~" || text == "null" || text.empty()) return json::Value();
  if (text == "true" || text == "True") return json::Value(true);
  if (text == "false" || text == "False") return json::Value(false);
  int64_t i = 0;
  if (absl::SimpleAtoi(text, &i)) return json::Value(i);
  double d = 0;
  if (text.find_first_of(".eE") != std::string::npos && absl::SimpleAtod(text, &d)) {
    return json::Value(d);
  }
  return json::Value(text);
}

json::Value NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::Value out = json::Value::EmptyObject();
      for (const auto& entry : node) out.Set(entry.first.Scalar(), NodeToJson(entry.second));
      return out;
    }
    case YAML::NodeType::Sequence: {
      json::Value out = json::Value::EmptyArray();
      for (const auto& item : node) out.Append(NodeToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    default:
      return json::Value();
  }
}

void ReadFault(Reader& r, const json::Value& o, const std::string& path, FaultRule* f) {
  if (!r.Object(o, path,
                {"endpoint", "kind", "probability", "count", "skip", "status",
                 "retry_after_seconds", "latency_ms", "error_code", "message"})) {
    return;
  }
  r.String(o, path, "endpoint", &f->endpoint);
  r.String(o, path, "kind", &f->kind);
  r.Double(o, path, "probability", &f->probability);
  r.Int(o, path, "count", &f->count);
  r.Int(o, path, "skip", &f->skip);
  r.Int(o, path, "status", &f->status);
  r.Int(o, path, "retry_after_seconds", &f->retry_after_seconds);
  r.Int(o, path, "latency_ms", &f->latency_ms);
  r.String(o, path, "error_code", &f->error_code);
  r.String(o, path, "message", &f->message);
  static const std::set<std::string> kKinds = {
      "status", "html", "text", "limit_body", "latency", "reset_before", "reset_after", "truncate"};
  if (kKinds.count(f->kind) == 0) {
    r.Error(Reader::Join(path, "kind"),
            "must be one of status, html, text, limit_body, latency, reset_before, reset_after, "
            "truncate");
  }
  if (f->endpoint.empty()) r.Error(Reader::Join(path, "endpoint"), "is required (\"*\" for all)");
  if (f->probability < 0 || f->probability > 1) {
    r.Error(Reader::Join(path, "probability"), "must be between 0 and 1");
  }
  if (f->kind == "limit_body" && o.Find("status") == nullptr) f->status = 400;
}

void ReadThrottle(Reader& r, const json::Value& o, const std::string& path, ThrottleRule* t) {
  if (!r.Object(o, path,
                {"endpoint", "rate_per_second", "burst", "per_principal", "retry_after_seconds",
                 "error_code"})) {
    return;
  }
  r.String(o, path, "endpoint", &t->endpoint);
  r.Double(o, path, "rate_per_second", &t->rate_per_second);
  t->burst = t->rate_per_second;
  r.Double(o, path, "burst", &t->burst);
  r.Bool(o, path, "per_principal", &t->per_principal);
  r.Int(o, path, "retry_after_seconds", &t->retry_after_seconds);
  r.String(o, path, "error_code", &t->error_code);
  if (t->endpoint.empty()) r.Error(Reader::Join(path, "endpoint"), "is required (\"*\" for all)");
  if (t->rate_per_second <= 0) r.Error(Reader::Join(path, "rate_per_second"), "must be > 0");
  if (t->burst < 1) r.Error(Reader::Join(path, "burst"), "must be >= 1");
}

}  // namespace

absl::StatusOr<json::Value> YamlToJson(absl::string_view yaml) {
  try {
    return NodeToJson(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
}

absl::StatusOr<std::vector<FaultRule>> FaultsFromJson(const json::Value& list,
                                                      const std::string& path) {
  Reader r;
  std::vector<FaultRule> out;
  if (!list.is_array()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be a list"));
  for (size_t i = 0; i < list.as_array().size(); ++i) {
    FaultRule f;
    ReadFault(r, list.as_array()[i], Index(path, i), &f);
    out.push_back(f);
  }
  if (!r.status().ok()) return r.status();
  return out;
}

absl::StatusOr<std::vector<ThrottleRule>> ThrottlesFromJson(const json::Value& list,
                                                            const std::string& path) {
  Reader r;
  std::vector<ThrottleRule> out;
  if (!list.is_array()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be a list"));
  for (size_t i = 0; i < list.as_array().size(); ++i) {
    ThrottleRule t;
    ReadThrottle(r, list.as_array()[i], Index(path, i), &t);
    out.push_back(t);
  }
  if (!r.status().ok()) return r.status();
  return out;
}

absl::StatusOr<EmulatorOptions> ParseOptionsYaml(absl::string_view yaml) {
  absl::StatusOr<json::Value> root = YamlToJson(yaml);
  if (!root.ok()) return root.status();
  if (root->is_null()) return EmulatorOptions{};
  return ParseOptions(*root);
}

absl::StatusOr<EmulatorOptions> ParseOptions(const json::Value& root) {
  Reader r;
  EmulatorOptions o;
  if (!r.Object(root, "",
                {"listen", "io_threads", "clock", "workspace_id", "auth", "jobs", "sql", "catalog",
                 "throttles", "faults", "seed"})) {
    return r.status();
  }
  r.String(root, "", "listen", &o.address);
  r.Int(root, "", "io_threads", &o.io_threads);
  r.String(root, "", "workspace_id", &o.workspace_id);
  auto seed = static_cast<int64_t>(o.seed);
  r.Int(root, "", "seed", &seed);
  o.seed = static_cast<uint64_t>(seed);
  if (const json::Value* clock = root.Find("clock");
      clock && r.Object(*clock, "clock", {"manual", "start"})) {
    r.Bool(*clock, "clock", "manual", &o.manual_clock);
    std::string start;
    r.String(*clock, "clock", "start", &start);
    if (!start.empty()) {
      std::optional<int64_t> ms = ParseTimestampMs(start);
      if (!ms) {
        r.Error("clock.start", "must be a timestamp like 2026-01-01T00:00:00Z");
      } else {
        o.start_ms = *ms;
      }
    }
  }
  if (const json::Value* auth = root.Find("auth");
      auth && r.Object(*auth, "auth",
                       {"tokens", "oauth_clients", "oauth_token_ttl_seconds", "azure_principals",
                        "azure_token_ttl_seconds", "azure_extra_resources", "azure_workspace"})) {
    if (const json::Value* tokens = r.List(*auth, "auth", "tokens")) {
      for (size_t i = 0; i < tokens->as_array().size(); ++i) {
        const std::string path = Index("auth.tokens", i);
        PersonalAccessToken t;
        if (!r.Object(tokens->as_array()[i], path, {"token", "principal"})) continue;
        r.String(tokens->as_array()[i], path, "token", &t.token);
        r.String(tokens->as_array()[i], path, "principal", &t.principal);
        if (t.token.empty()) r.Error(path + ".token", "is required");
        o.tokens.push_back(t);
      }
    }
    if (const json::Value* clients = r.List(*auth, "auth", "oauth_clients")) {
      for (size_t i = 0; i < clients->as_array().size(); ++i) {
        const std::string path = Index("auth.oauth_clients", i);
        OAuthClient c;
        if (!r.Object(clients->as_array()[i], path, {"client_id", "client_secret"})) continue;
        r.String(clients->as_array()[i], path, "client_id", &c.client_id);
        r.String(clients->as_array()[i], path, "client_secret", &c.client_secret);
        if (c.client_id.empty()) r.Error(path + ".client_id", "is required");
        o.oauth_clients.push_back(c);
      }
    }
    if (const json::Value* principals = r.List(*auth, "auth", "azure_principals")) {
      for (size_t i = 0; i < principals->as_array().size(); ++i) {
        const std::string path = Index("auth.azure_principals", i);
        AzurePrincipal p;
        const json::Value& item = principals->as_array()[i];
        if (!r.Object(item, path, {"tenant_id", "client_id", "client_secret"})) continue;
        r.String(item, path, "tenant_id", &p.tenant_id);
        r.String(item, path, "client_id", &p.client_id);
        r.String(item, path, "client_secret", &p.client_secret);
        o.azure_principals.push_back(p);
      }
    }
    r.Int(*auth, "auth", "oauth_token_ttl_seconds", &o.oauth_token_ttl_seconds);
    r.Int(*auth, "auth", "azure_token_ttl_seconds", &o.azure_token_ttl_seconds);
    if (const json::Value* resources = r.List(*auth, "auth", "azure_extra_resources")) {
      for (size_t i = 0; i < resources->as_array().size(); ++i) {
        const json::Value& item = resources->as_array()[i];
        if (!item.is_string() || item.as_string().empty()) {
          r.Error(Index("auth.azure_extra_resources", i), "must be a non-empty string");
          continue;
        }
        o.azure_extra_resources.push_back(item.as_string());
      }
    }
    r.Bool(*auth, "auth", "azure_workspace", &o.azure_workspace);
  }
  if (const json::Value* jobs = root.Find("jobs");
      jobs &&
      r.Object(*jobs, "jobs",
               {"pending_seconds", "running_seconds", "terminating_seconds", "user", "outcomes"})) {
    r.Seconds(*jobs, "jobs", "pending_seconds", &o.jobs.pending_ms);
    r.Seconds(*jobs, "jobs", "running_seconds", &o.jobs.running_ms);
    r.Seconds(*jobs, "jobs", "terminating_seconds", &o.jobs.terminating_ms);
    r.String(*jobs, "jobs", "user", &o.jobs.user);
    if (const json::Value* outcomes = r.List(*jobs, "jobs", "outcomes")) {
      for (size_t i = 0; i < outcomes->as_array().size(); ++i) {
        const std::string path = Index("jobs.outcomes", i);
        const json::Value& item = outcomes->as_array()[i];
        TaskOutcome t;
        if (!r.Object(
                item, path,
                {"match", "result_state", "internal_error", "state_message", "error", "error_trace",
                 "notebook_output", "logs", "pending_seconds", "running_seconds"})) {
          continue;
        }
        if (const json::Value* match = item.Find("match");
            match && r.Object(*match, path + ".match",
                              {"notebook_path", "python_file", "task_key", "parameter"})) {
          r.String(*match, path + ".match", "notebook_path", &t.match_notebook_path);
          r.String(*match, path + ".match", "python_file", &t.match_python_file);
          r.String(*match, path + ".match", "task_key", &t.match_task_key);
          r.String(*match, path + ".match", "parameter", &t.match_parameter);
        }
        r.String(item, path, "result_state", &t.result_state);
        r.Bool(item, path, "internal_error", &t.internal_error);
        r.String(item, path, "state_message", &t.state_message);
        r.String(item, path, "error", &t.error);
        r.String(item, path, "error_trace", &t.error_trace);
        r.String(item, path, "notebook_output", &t.notebook_output);
        r.String(item, path, "logs", &t.logs);
        r.Seconds(item, path, "pending_seconds", &t.pending_ms);
        r.Seconds(item, path, "running_seconds", &t.running_ms);
        static const std::set<std::string> kResults = {"SUCCESS", "FAILED",
                                                       "SUCCESS_WITH_FAILURES"};
        if (kResults.count(t.result_state) == 0) {
          r.Error(path + ".result_state", "must be SUCCESS, FAILED or SUCCESS_WITH_FAILURES");
        }
        o.jobs.outcomes.push_back(t);
      }
    }
  }
  if (const json::Value* sql = root.Find("sql");
      sql && r.Object(*sql, "sql",
                      {"execution_seconds", "timings", "chunk_rows", "chunk_bytes",
                       "inline_limit_bytes", "result_ttl_seconds", "retention_seconds",
                       "abandon_seconds", "external_link_ttl_seconds", "warehouse_start_seconds",
                       "auto_start", "warehouses"})) {
    r.Seconds(*sql, "sql", "execution_seconds", &o.sql.execution_ms);
    r.Int(*sql, "sql", "chunk_rows", &o.sql.chunk_rows);
    r.Int(*sql, "sql", "chunk_bytes", &o.sql.chunk_bytes);
    r.Int(*sql, "sql", "inline_limit_bytes", &o.sql.inline_limit_bytes);
    r.Seconds(*sql, "sql", "result_ttl_seconds", &o.sql.result_ttl_ms);
    r.Seconds(*sql, "sql", "retention_seconds", &o.sql.retention_ms);
    r.Seconds(*sql, "sql", "abandon_seconds", &o.sql.abandon_ms);
    r.Seconds(*sql, "sql", "external_link_ttl_seconds", &o.sql.external_link_ttl_ms);
    r.Seconds(*sql, "sql", "warehouse_start_seconds", &o.sql.warehouse_start_ms);
    r.Bool(*sql, "sql", "auto_start", &o.sql.auto_start);
    if (o.sql.chunk_rows < 1) r.Error("sql.chunk_rows", "must be >= 1");
    if (o.sql.chunk_bytes < 1) r.Error("sql.chunk_bytes", "must be >= 1");
    if (const json::Value* timings = r.List(*sql, "sql", "timings")) {
      for (size_t i = 0; i < timings->as_array().size(); ++i) {
        const std::string path = Index("sql.timings", i);
        StatementTiming t;
        if (!r.Object(timings->as_array()[i], path, {"contains", "execution_seconds"})) continue;
        r.String(timings->as_array()[i], path, "contains", &t.contains);
        r.Seconds(timings->as_array()[i], path, "execution_seconds", &t.execution_ms);
        o.sql.timings.push_back(t);
      }
    }
    if (const json::Value* warehouses = r.List(*sql, "sql", "warehouses")) {
      o.sql.warehouses.clear();
      for (size_t i = 0; i < warehouses->as_array().size(); ++i) {
        const std::string path = Index("sql.warehouses", i);
        const json::Value& item = warehouses->as_array()[i];
        WarehouseSpec w;
        if (!r.Object(item, path,
                      {"id", "name", "cluster_size", "state", "health", "health_summary"})) {
          continue;
        }
        r.String(item, path, "id", &w.id);
        r.String(item, path, "name", &w.name);
        r.String(item, path, "cluster_size", &w.cluster_size);
        r.String(item, path, "state", &w.state);
        r.String(item, path, "health", &w.health);
        r.String(item, path, "health_summary", &w.health_summary);
        if (w.id.empty()) r.Error(path + ".id", "is required");
        if (w.state != "RUNNING" && w.state != "STOPPED") {
          r.Error(path + ".state", "must be RUNNING or STOPPED");
        }
        if (w.health != "HEALTHY" && w.health != "DEGRADED" && w.health != "FAILED") {
          r.Error(path + ".health", "must be HEALTHY, DEGRADED or FAILED");
        }
        o.sql.warehouses.push_back(w);
      }
    }
  }
  if (const json::Value* catalog = root.Find("catalog");
      catalog &&
      r.Object(*catalog, "catalog",
               {"catalogs", "default_page_size", "max_page_size", "unpaginated_table_limit",
                "empty_first_page", "retention_duration_check"})) {
    r.Int(*catalog, "catalog", "default_page_size", &o.catalog.default_page_size);
    r.Int(*catalog, "catalog", "max_page_size", &o.catalog.max_page_size);
    r.Int(*catalog, "catalog", "unpaginated_table_limit", &o.catalog.unpaginated_table_limit);
    r.Bool(*catalog, "catalog", "empty_first_page", &o.catalog.empty_first_page);
    r.Bool(*catalog, "catalog", "retention_duration_check", &o.engine.retention_duration_check);
    if (const json::Value* catalogs = catalog->Find("catalogs")) {
      if (!catalogs->is_object()) {
        r.Error("catalog.catalogs", "must map catalog names to lists of schema names");
      } else {
        o.engine.catalogs.clear();
        for (const auto& [name, schemas] : catalogs->as_object()) {
          std::vector<std::string>& list = o.engine.catalogs[name];
          if (!schemas.is_array()) {
            r.Error("catalog.catalogs." + name, "must be a list of schema names");
            continue;
          }
          for (const json::Value& s : schemas.as_array()) {
            if (s.is_string()) list.push_back(s.as_string());
          }
        }
      }
    }
  }
  if (const json::Value* throttles = r.List(root, "", "throttles")) {
    absl::StatusOr<std::vector<ThrottleRule>> parsed = ThrottlesFromJson(*throttles, "throttles");
    if (parsed.ok()) {
      o.throttles = *std::move(parsed);
    } else {
      r.Error("throttles", std::string(parsed.status().message()));
    }
  }
  if (const json::Value* faults = r.List(root, "", "faults")) {
    absl::StatusOr<std::vector<FaultRule>> parsed = FaultsFromJson(*faults, "faults");
    if (parsed.ok()) {
      o.faults = *std::move(parsed);
    } else {
      r.Error("faults", std::string(parsed.status().message()));
    }
  }
  o.catalog.metastore_id = o.engine.metastore_id;
  if (!r.status().ok()) return r.status();
  return o;
}

}  // namespace emulator
