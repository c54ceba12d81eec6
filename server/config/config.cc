#include "server/config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/common/file.h"
#include "server/common/pattern.h"
#include "yaml-cpp/yaml.h"

namespace gateway::config {
namespace {

using Keys = std::initializer_list<absl::string_view>;

std::string Join(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Index(const std::string& path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

// Collects every problem with its path instead of stopping at the first.
class Parser {
 public:
  explicit Parser(const EnvReader& env) : env_(env) {}

  void Error(const std::string& path, absl::string_view message) {
    errors_.push_back(absl::StrCat(path, ": ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

  // True when `node` is a mapping whose keys are all in `keys`; unknown keys are errors.
  // An absent or null node is an empty mapping (false, no error).
  bool Map(const YAML::Node& node, const std::string& path, Keys keys) {
    if (!node.IsDefined() || node.IsNull()) return false;
    if (!node.IsMap()) {
      Error(path, "must be a mapping");
      return false;
    }
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        Error(Join(path, key),
              absl::StrCat("unknown key (expected one of: ", absl::StrJoin(keys, ", "), ")"));
      }
    }
    return true;
  }

  // A sequence's items, or none (with an error if it is not a sequence).
  std::vector<YAML::Node> Seq(const YAML::Node& node, const std::string& path) {
    std::vector<YAML::Node> items;
    if (!node.IsDefined() || node.IsNull()) return items;
    if (!node.IsSequence()) {
      Error(path, "must be a list");
      return items;
    }
    for (const auto& item : node) items.push_back(item);
    return items;
  }

  // The scalar at map[key], or nullopt if absent (error if not a scalar).
  std::optional<std::string> Scalar(const YAML::Node& map, absl::string_view key,
                                    const std::string& path) {
    const YAML::Node node = map[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) return std::nullopt;
    if (!node.IsScalar()) {
      Error(Join(path, key), "must be a single value");
      return std::nullopt;
    }
    return node.Scalar();
  }

  void String(const YAML::Node& map, absl::string_view key, const std::string& path,
              std::string* out) {
    if (auto value = Scalar(map, key, path)) *out = *std::move(value);
  }

  void Bool(const YAML::Node& map, absl::string_view key, const std::string& path, bool* out) {
    auto value = Scalar(map, key, path);
    if (!value) return;
    if (*value == "true") {
      *out = true;
    } else if (*value == "false") {
      *out = false;
    } else {
      Error(Join(path, key), absl::StrCat("must be true or false, not \"", *value, "\""));
    }
  }

  template <typename Int>
  void Integer(const YAML::Node& map, absl::string_view key, const std::string& path, Int* out,
               Int min, Int max) {
    auto value = Scalar(map, key, path);
    if (!value) return;
    SetInteger(*value, Join(path, key), out, min, max);
  }

  template <typename Int>
  bool SetInteger(const std::string& text, const std::string& where, Int* out, Int min, Int max) {
    Int parsed;
    if (!absl::SimpleAtoi(text, &parsed)) {
      Error(where, absl::StrCat("must be an integer, not \"", text, "\""));
      return false;
    }
    if (parsed < min || parsed > max) {
      Error(where, absl::StrCat("must be between ", min, " and ", max, ", not ", parsed));
      return false;
    }
    *out = parsed;
    return true;
  }

  void Double(const YAML::Node& map, absl::string_view key, const std::string& path, double* out,
              double min) {
    auto value = Scalar(map, key, path);
    if (!value) return;
    SetDouble(*value, Join(path, key), out, min);
  }

  bool SetDouble(const std::string& text, const std::string& where, double* out, double min) {
    double parsed;
    if (!absl::SimpleAtod(text, &parsed)) {
      Error(where, absl::StrCat("must be a number, not \"", text, "\""));
      return false;
    }
    if (!(parsed >= min)) {
      Error(where, absl::StrCat("must be >= ", min, ", not ", text));
      return false;
    }
    *out = parsed;
    return true;
  }

  void StringList(const YAML::Node& map, absl::string_view key, const std::string& path,
                  std::vector<std::string>* out) {
    const YAML::Node node = map[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) return;
    const std::string where = Join(path, key);
    out->clear();
    size_t i = 0;
    for (const YAML::Node& item : Seq(node, where)) {
      if (!item.IsScalar()) {
        Error(Index(where, i), "must be a single value");
      } else {
        out->push_back(item.Scalar());
      }
      ++i;
    }
  }

  // A secret: {env: NAME} or {file: PATH}. Returns whether the key was given; a malformed
  // one is reported here and leaves `out` empty.
  bool Secret(const YAML::Node& map, absl::string_view key, const std::string& path,
              SecretRef* out) {
    const YAML::Node node = map[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) return false;
    const std::string where = Join(path, key);
    if (!node.IsMap()) {
      Error(where,
            "must be {env: VARIABLE} or {file: PATH}; secrets are never written in the config "
            "file");
      return true;
    }
    Map(node, where, {"env", "file"});
    auto env = Scalar(node, "env", where);
    auto file = Scalar(node, "file", where);
    if (env.has_value() == file.has_value()) {
      Error(where, "must have exactly one of env or file");
    } else if ((env ? *env : *file).empty()) {
      Error(where, "names an empty variable or path");
    } else {
      *out = env ? SecretRef{SecretRef::Source::kEnv, *env}
                 : SecretRef{SecretRef::Source::kFile, *file};
    }
    return true;
  }

  std::optional<std::string> Env(absl::string_view name) const { return env_(name); }

 private:
  const EnvReader& env_;
  std::vector<std::string> errors_;
};

void ParseServer(Parser& p, const YAML::Node& node, app::ServerOptions& out) {
  const std::string path = "server";
  if (!p.Map(node, path,
             {"grpc_address", "admin_address", "admin_token", "tls", "max_message_bytes",
              "drain_seconds", "config_poll_seconds", "log_level"})) {
    return;
  }
  p.String(node, "grpc_address", path, &out.grpc_address);
  p.String(node, "admin_address", path, &out.admin_address);
  out.has_admin_token = p.Secret(node, "admin_token", path, &out.admin_token);
  p.Integer(node, "max_message_bytes", path, &out.max_message_bytes, 1024, 1 << 30);
  p.Integer(node, "drain_seconds", path, &out.drain_seconds, 0, 3600);
  p.Integer(node, "config_poll_seconds", path, &out.config_poll_seconds, 0, 3600);
  const YAML::Node tls = node["tls"];
  const std::string tls_path = Join(path, "tls");
  if (tls &&
      p.Map(tls, tls_path, {"cert_file", "key_file", "client_ca_file", "require_client_cert"})) {
    p.String(tls, "cert_file", tls_path, &out.tls.cert_file);
    p.String(tls, "key_file", tls_path, &out.tls.key_file);
    p.String(tls, "client_ca_file", tls_path, &out.tls.client_ca_file);
    p.Bool(tls, "require_client_cert", tls_path, &out.tls.require_client_cert);
  }
  if (auto level = p.Scalar(node, "log_level", path)) {
    absl::StatusOr<LogLevel> parsed = ParseLogLevel(*level);
    if (parsed.ok()) {
      out.log_level = *parsed;
    } else {
      p.Error(Join(path, "log_level"), parsed.status().message());
    }
  }
}

void ParseRetry(Parser& p, const YAML::Node& node, const std::string& path,
                upstream::RetryOptions& out) {
  if (!p.Map(node, path,
             {"max_retries", "base_backoff_ms", "max_backoff_ms", "max_retry_after_seconds",
              "budget_percent", "min_retry_concurrency"})) {
    return;
  }
  p.Integer(node, "max_retries", path, &out.max_retries, 0, 20);
  p.Integer(node, "base_backoff_ms", path, &out.base_backoff_ms, 1, 60'000);
  p.Integer(node, "max_backoff_ms", path, &out.max_backoff_ms, 1, 600'000);
  p.Integer(node, "max_retry_after_seconds", path, &out.max_retry_after_seconds, 0, 3600);
  p.Double(node, "budget_percent", path, &out.budget_percent, 0);
  p.Integer(node, "min_retry_concurrency", path, &out.min_retry_concurrency, 0, 10'000);
}

void ParseBreaker(Parser& p, const YAML::Node& node, const std::string& path,
                  upstream::CircuitBreakerOptions& out) {
  if (!p.Map(node, path, {"failure_threshold", "open_seconds", "half_open_probes"})) return;
  p.Integer(node, "failure_threshold", path, &out.failure_threshold, 1, 1'000'000);
  p.Integer(node, "open_seconds", path, &out.open_seconds, 1, 3600);
  p.Integer(node, "half_open_probes", path, &out.half_open_probes, 1, 1000);
}

// "jobs.runs.get": lowercase words joined by dots.
bool IsOperationName(absl::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_' || ch == '.'; });
}

void ParsePacing(Parser& p, const YAML::Node& node, const std::string& path,
                 upstream::PacingOptions& out) {
  if (!p.Map(node, path,
             {"controller", "min_rate", "queue_per_tenant", "max_cool_down_seconds", "rates"})) {
    return;
  }
  p.String(node, "controller", path, &out.controller);
  if (out.controller != "gradient" && out.controller != "aimd") {
    p.Error(Join(path, "controller"),
            absl::StrCat("must be gradient or aimd, not '", out.controller, "'"));
  }
  p.Double(node, "min_rate", path, &out.min_rate, 0.001);
  p.Integer(node, "queue_per_tenant", path, &out.queue_per_tenant, 1, 1'000'000);
  p.Integer(node, "max_cool_down_seconds", path, &out.max_cool_down_seconds, 1, 3600);
  const YAML::Node rates = node["rates"];
  if (!rates) return;
  const std::string rates_path = Join(path, "rates");
  if (!rates.IsMap()) {
    p.Error(rates_path, "must map operations (jobs.runs.get) to requests per second");
    return;
  }
  for (const auto& entry : rates) {
    const std::string operation = entry.first.as<std::string>();
    if (!IsOperationName(operation)) {
      p.Error(Join(rates_path, operation),
              "is not an operation name (the operation label of databricks_api_requests_total, "
              "such as jobs.runs.get)");
      continue;
    }
    double rate = 0;
    p.Double(rates, operation, rates_path, &rate, 0.001);
    out.rates[operation] = rate;
  }
}

upstream::WorkspaceOptions ParseWorkspace(Parser& p, const YAML::Node& node,
                                          const std::string& path) {
  upstream::WorkspaceOptions out;
  if (!p.Map(node, path,
             {"name", "host", "allow_plaintext", "ca_file", "timeout_seconds", "connect_timeout_ms",
              "max_connections", "idle_timeout_seconds", "max_response_bytes", "rate_limit_rps",
              "rate_limit_burst", "pacing", "retry", "circuit_breaker", "default_warehouse_id",
              "default_catalog", "default_schema", "streaming_notebook_path"})) {
    p.Error(path, "must be a mapping with at least a name");
    return out;
  }
  p.String(node, "name", path, &out.name);
  p.String(node, "host", path, &out.host);
  p.Bool(node, "allow_plaintext", path, &out.allow_plaintext);
  p.String(node, "ca_file", path, &out.ca_file);
  p.Integer(node, "timeout_seconds", path, &out.timeout_seconds, 1, 3600);
  p.Integer(node, "connect_timeout_ms", path, &out.connect_timeout_ms, 1, 600'000);
  p.Integer(node, "max_connections", path, &out.max_connections, 1, 10'000);
  p.Integer(node, "idle_timeout_seconds", path, &out.idle_timeout_seconds, 1, 3600);
  p.Integer<int64_t>(node, "max_response_bytes", path, &out.max_response_bytes, 1024,
                     int64_t{1} << 40);
  p.Double(node, "rate_limit_rps", path, &out.rate_limit_rps, 0.001);
  p.Integer(node, "rate_limit_burst", path, &out.rate_limit_burst, 1, 1'000'000);
  ParsePacing(p, node["pacing"], Join(path, "pacing"), out.pacing);
  ParseRetry(p, node["retry"], Join(path, "retry"), out.retry);
  ParseBreaker(p, node["circuit_breaker"], Join(path, "circuit_breaker"), out.circuit_breaker);
  p.String(node, "default_warehouse_id", path, &out.default_warehouse_id);
  p.String(node, "default_catalog", path, &out.default_catalog);
  p.String(node, "default_schema", path, &out.default_schema);
  p.String(node, "streaming_notebook_path", path, &out.streaming_notebook_path);
  return out;
}

credentials::CredentialOptions ParseCredential(Parser& p, const YAML::Node& node,
                                               const std::string& path) {
  credentials::CredentialOptions out;
  if (!p.Map(node, path,
             {"name", "type", "token", "client_id", "client_secret", "azure_tenant_id",
              "azure_login_host", "scopes"})) {
    p.Error(path, "must be a mapping with a name and a type");
    return out;
  }
  p.String(node, "name", path, &out.name);
  std::string type;
  p.String(node, "type", path, &type);
  const bool has_token = p.Secret(node, "token", path, &out.token);
  p.String(node, "client_id", path, &out.client_id);
  const bool has_client_secret = p.Secret(node, "client_secret", path, &out.client_secret);
  p.String(node, "azure_tenant_id", path, &out.azure_tenant_id);
  p.String(node, "azure_login_host", path, &out.azure_login_host);
  p.String(node, "scopes", path, &out.scopes);

  auto require = [&](bool present, absl::string_view key) {
    if (!present) p.Error(Join(path, key), absl::StrCat("is required for type ", type));
  };
  auto forbid = [&](bool present, absl::string_view key) {
    if (present) p.Error(Join(path, key), absl::StrCat("does not apply to type ", type));
  };
  if (type == "pat") {
    out.type = credentials::CredentialType::kPat;
    require(has_token, "token");
    forbid(!out.client_id.empty(), "client_id");
    forbid(has_client_secret, "client_secret");
    forbid(!out.azure_tenant_id.empty(), "azure_tenant_id");
  } else if (type == "oauth_m2m") {
    out.type = credentials::CredentialType::kOAuthM2M;
    require(!out.client_id.empty(), "client_id");
    require(has_client_secret, "client_secret");
    forbid(has_token, "token");
    forbid(!out.azure_tenant_id.empty(), "azure_tenant_id");
  } else if (type == "azure_service_principal") {
    out.type = credentials::CredentialType::kAzureServicePrincipal;
    require(!out.client_id.empty(), "client_id");
    require(has_client_secret, "client_secret");
    require(!out.azure_tenant_id.empty(), "azure_tenant_id");
    forbid(has_token, "token");
  } else if (type.empty()) {
    p.Error(Join(path, "type"), "is required (pat, oauth_m2m or azure_service_principal)");
  } else {
    p.Error(Join(path, "type"), absl::StrCat("unknown type \"", type,
                                             "\" (expected pat, oauth_m2m or "
                                             "azure_service_principal)"));
  }
  return out;
}

credentials::CredentialPoolOptions ParsePool(Parser& p, const YAML::Node& node,
                                             const std::string& path) {
  credentials::CredentialPoolOptions out;
  if (!p.Map(node, path,
             {"name", "workspace", "credentials", "eject_base_seconds", "eject_max_seconds"})) {
    p.Error(path, "must be a mapping with a name, a workspace and credentials");
    return out;
  }
  p.String(node, "name", path, &out.name);
  p.String(node, "workspace", path, &out.workspace);
  p.Integer(node, "eject_base_seconds", path, &out.eject_base_seconds, 1, 86'400);
  p.Integer(node, "eject_max_seconds", path, &out.eject_max_seconds, 1, 86'400);
  const std::string creds_path = Join(path, "credentials");
  size_t i = 0;
  for (const YAML::Node& item : p.Seq(node["credentials"], creds_path)) {
    out.credentials.push_back(ParseCredential(p, item, Index(creds_path, i++)));
  }
  return out;
}

// The services a method pattern may name.
constexpr absl::string_view kServices[] = {"JobsService", "SqlService", "DeltaService",
                                           "CatalogService"};

// "*", "Service/*", "Service/Method" or "Service/Prefix*" with a known service.
void CheckMethodPattern(Parser& p, const std::string& pattern, const std::string& path) {
  if (pattern == "*") return;
  const size_t slash = pattern.find('/');
  const std::string service = pattern.substr(0, slash);
  if (slash == std::string::npos || slash + 1 == pattern.size() ||
      std::find(std::begin(kServices), std::end(kServices), service) == std::end(kServices)) {
    p.Error(path, absl::StrCat("must be \"*\" or \"Service/Method\" (a method name or a prefix "
                               "ending in *) with a service among ",
                               absl::StrJoin(kServices, ", "), ", not \"", pattern, "\""));
  }
}

// The limits of one rate-limit rule, from the keys of `node`.
void ParseRule(Parser& p, const YAML::Node& node, const std::string& path,
               ratelimit::RuleOptions* out) {
  p.Double(node, "requests_per_second", path, &out->requests_per_second, 0);
  p.Integer(node, "burst", path, &out->burst, 0, 1'000'000);
  p.Integer(node, "max_concurrent", path, &out->max_concurrent, 0, 1'000'000);
  p.Bool(node, "global", path, &out->global);
  p.Bool(node, "shadow", path, &out->shadow);
  if (out->requests_per_second > 0 && out->burst == 0) {
    p.Error(Join(path, "burst"), "must be > 0 when requests_per_second is set");
  }
  if (out->global && out->requests_per_second <= 0) {
    p.Error(Join(path, "global"), "applies to a rate; set requests_per_second");
  }
}

auth::TenantOptions ParseTenant(Parser& p, const YAML::Node& node, const std::string& path) {
  auth::TenantOptions out;
  if (!p.Map(node, path,
             {"name", "api_key_sha256", "mtls_identities", "credential_pool", "weight", "access",
              "quota", "dry_run"})) {
    p.Error(path, "must be a mapping with a name and a credential_pool");
    return out;
  }
  p.String(node, "name", path, &out.name);
  p.Bool(node, "dry_run", path, &out.dry_run);
  p.Double(node, "weight", path, &out.weight, 0.001);
  p.StringList(node, "api_key_sha256", path, &out.api_key_sha256);
  p.StringList(node, "mtls_identities", path, &out.mtls_identities);
  p.String(node, "credential_pool", path, &out.credential_pool);
  for (size_t i = 0; i < out.api_key_sha256.size(); ++i) {
    std::string& hash = out.api_key_sha256[i];
    hash = absl::AsciiStrToLower(hash);
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
      p.Error(Index(Join(path, "api_key_sha256"), i),
              "must be 64 hex digits (the SHA-256 of the API key, e.g. from "
              "`printf %s \"$KEY\" | sha256sum`)");
    }
  }
  if (out.api_key_sha256.empty() && out.mtls_identities.empty()) {
    p.Error(path, "needs at least one api_key_sha256 or mtls_identities entry");
  }
  const YAML::Node access = node["access"];
  const std::string access_path = Join(path, "access");
  if (p.Map(access, access_path, {"methods", "warehouses", "schemas", "secret_scopes"})) {
    p.StringList(access, "methods", access_path, &out.access.methods);
    for (size_t i = 0; i < out.access.methods.size(); ++i) {
      CheckMethodPattern(p, out.access.methods[i], Index(Join(access_path, "methods"), i));
    }
    p.StringList(access, "warehouses", access_path, &out.access.warehouses);
    p.StringList(access, "schemas", access_path, &out.access.schemas);
    p.StringList(access, "secret_scopes", access_path, &out.access.secret_scopes);
  }
  const YAML::Node quota = node["quota"];
  const std::string quota_path = Join(path, "quota");
  if (p.Map(quota, quota_path,
            {"requests_per_second", "burst", "max_concurrent", "global", "shadow", "methods"})) {
    ParseRule(p, quota, quota_path, &out.quota.tenant);
    size_t i = 0;
    for (const YAML::Node& item : p.Seq(quota["methods"], Join(quota_path, "methods"))) {
      const std::string method_path = Index(Join(quota_path, "methods"), i++);
      ratelimit::MethodRuleOptions method;
      if (!p.Map(
              item, method_path,
              {"method", "requests_per_second", "burst", "max_concurrent", "global", "shadow"})) {
        p.Error(method_path, "must be a mapping with a method and its limits");
        continue;
      }
      p.String(item, "method", method_path, &method.method);
      CheckMethodPattern(p, method.method, Join(method_path, "method"));
      ParseRule(p, item, method_path, &method.rule);
      out.quota.methods.push_back(std::move(method));
    }
  }
  return out;
}

void ParseRedis(Parser& p, const YAML::Node& node, ratelimit::RedisOptions& out) {
  const std::string path = "redis";
  if (!p.Map(node, path,
             {"enabled", "address", "password", "timeout_ms", "replica_count", "key_prefix"})) {
    return;
  }
  p.Bool(node, "enabled", path, &out.enabled);
  p.String(node, "address", path, &out.address);
  out.has_password = p.Secret(node, "password", path, &out.password);
  p.Integer(node, "timeout_ms", path, &out.timeout_ms, 1, 10'000);
  p.Integer(node, "replica_count", path, &out.replica_count, 1, 10'000);
  p.String(node, "key_prefix", path, &out.key_prefix);
}

void ParseRecord(Parser& p, const YAML::Node& node, upstream::RecordOptions& out) {
  const std::string path = "record";
  if (!p.Map(node, path, {"path", "max_bytes", "max_files", "redact_fields"})) return;
  p.String(node, "path", path, &out.path);
  p.Integer(node, "max_bytes", path, &out.max_bytes, int64_t{4096}, int64_t{1} << 40);
  p.Integer(node, "max_files", path, &out.max_files, 0, 100);
  p.StringList(node, "redact_fields", path, &out.redact_fields);
}

void ParseAudit(Parser& p, const YAML::Node& node, audit::AuditOptions& out) {
  const std::string path = "audit";
  if (!p.Map(node, path, {"path"})) return;
  p.String(node, "path", path, &out.path);
  if (out.path.empty()) p.Error("audit.path", "must be \"-\" (standard output) or a file");
}

void ParseSecurity(Parser& p, const YAML::Node& node, GatewayConfig& out) {
  const std::string path = "security";
  if (!p.Map(node, path, {"strict_secrets", "handle_signing_key"})) return;
  p.Bool(node, "strict_secrets", path, &out.strict_secrets);
  out.has_handle_signing_key = p.Secret(node, "handle_signing_key", path, &out.handle_signing_key);
}

// host:port with a port in 0–65535 (0: pick a free port).
void CheckAddress(Parser& p, const std::string& address, const std::string& path) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    p.Error(path,
            absl::StrCat("must be host:port with a port from 0 to 65535, not \"", address, "\""));
  }
}

upstream::WorkspaceOptions* FindWorkspace(GatewayConfig& config, absl::string_view name) {
  for (auto& workspace : config.workspaces) {
    if (workspace.name == name) return &workspace;
  }
  return nullptr;
}

// The DATABRICKS_* variables of seed 004 §6.1, for the workspace and pool named "default".
void ApplyEnvironment(Parser& p, GatewayConfig& config) {
  constexpr absl::string_view kDefault = "default";
  upstream::WorkspaceOptions* workspace = FindWorkspace(config, kDefault);
  if (auto host = p.Env("DATABRICKS_HOST")) {
    if (workspace == nullptr) {
      config.workspaces.push_back(upstream::WorkspaceOptions{});
      workspace = &config.workspaces.back();
      workspace->name = std::string(kDefault);
    }
    workspace->host = *host;
  }
  struct Setting {
    const char* variable;
    std::function<void(const std::string& value, const std::string& where)> apply;
  };
  const std::vector<Setting> settings = {
      {"DATABRICKS_TIMEOUT_SECS",
       [&](const std::string& v, const std::string& w) {
         p.SetInteger(v, w, &workspace->timeout_seconds, 1, 3600);
       }},
      {"DATABRICKS_RATE_LIMIT",
       [&](const std::string& v, const std::string& w) {
         p.SetDouble(v, w, &workspace->rate_limit_rps, 0.001);
       }},
      {"DATABRICKS_MAX_RETRIES",
       [&](const std::string& v, const std::string& w) {
         p.SetInteger(v, w, &workspace->retry.max_retries, 0, 20);
       }},
      {"DATABRICKS_WAREHOUSE_ID",
       [&](const std::string& v, const std::string&) { workspace->default_warehouse_id = v; }},
      {"DATABRICKS_CATALOG",
       [&](const std::string& v, const std::string&) { workspace->default_catalog = v; }},
      {"DATABRICKS_SCHEMA",
       [&](const std::string& v, const std::string&) { workspace->default_schema = v; }},
  };
  const std::string no_workspace =
      "is set, but there is no workspace named \"default\" (set DATABRICKS_HOST or declare it "
      "under workspaces)";
  for (const Setting& setting : settings) {
    auto value = p.Env(setting.variable);
    if (!value) continue;
    const std::string where = absl::StrCat("env ", setting.variable);
    if (workspace == nullptr) {
      p.Error(where, no_workspace);
      continue;
    }
    setting.apply(*value, where);
  }

  std::vector<credentials::CredentialOptions> from_env;
  if (p.Env("DATABRICKS_TOKEN")) {
    credentials::CredentialOptions pat;
    pat.name = "env-pat";
    pat.type = credentials::CredentialType::kPat;
    pat.token = {SecretRef::Source::kEnv, "DATABRICKS_TOKEN"};
    from_env.push_back(pat);
  }
  auto client_id = p.Env("DATABRICKS_CLIENT_ID");
  if (client_id || p.Env("DATABRICKS_CLIENT_SECRET")) {
    if (!client_id) {
      p.Error("env DATABRICKS_CLIENT_SECRET", "is set without DATABRICKS_CLIENT_ID");
    } else {
      credentials::CredentialOptions m2m;
      m2m.name = "env-oauth-m2m";
      m2m.type = credentials::CredentialType::kOAuthM2M;
      m2m.client_id = *client_id;
      m2m.client_secret = {SecretRef::Source::kEnv, "DATABRICKS_CLIENT_SECRET"};
      from_env.push_back(m2m);
    }
  }
  auto azure_tenant = p.Env("AZURE_TENANT_ID");
  auto azure_client = p.Env("AZURE_CLIENT_ID");
  if (azure_tenant || azure_client || p.Env("AZURE_CLIENT_SECRET")) {
    if (!azure_tenant || !azure_client) {
      p.Error("env AZURE_TENANT_ID",
              "an Azure service principal needs AZURE_TENANT_ID, AZURE_CLIENT_ID and "
              "AZURE_CLIENT_SECRET");
    } else {
      credentials::CredentialOptions sp;
      sp.name = "env-azure-sp";
      sp.type = credentials::CredentialType::kAzureServicePrincipal;
      sp.client_id = *azure_client;
      sp.azure_tenant_id = *azure_tenant;
      sp.client_secret = {SecretRef::Source::kEnv, "AZURE_CLIENT_SECRET"};
      from_env.push_back(sp);
    }
  }
  if (from_env.empty()) return;
  if (workspace == nullptr) {
    p.Error("env DATABRICKS_TOKEN", "credentials are set in the environment, but " + no_workspace);
    return;
  }
  credentials::CredentialPoolOptions* pool = nullptr;
  for (auto& candidate : config.credential_pools) {
    if (candidate.name == kDefault) pool = &candidate;
  }
  if (pool == nullptr) {
    config.credential_pools.push_back({std::string(kDefault), std::string(kDefault), {}});
    pool = &config.credential_pools.back();
  }
  for (auto& credential : from_env) pool->credentials.push_back(std::move(credential));
}

void CheckSecret(Parser& p, const GatewayConfig& config, const SecretRef& ref,
                 const std::string& path, const EnvReader& env) {
  // An empty reference was already reported as malformed.
  if (!config.strict_secrets || ref.name.empty()) return;
  absl::StatusOr<std::string> value = ReadSecret(ref, env);
  if (!value.ok()) p.Error(path, value.status().message());
}

void CheckReadable(Parser& p, const std::string& file, const std::string& path) {
  if (!file.empty() && !ReadWholeFile(file).has_value()) {
    p.Error(path, absl::StrCat("cannot read \"", file, "\""));
  }
}

bool ValidTenantName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Methods whose task code (notebooks, JARs, Python, SQL files) runs with the pool's
// principal: it reaches every table, warehouse and secret scope the principal can, so no
// access rule but methods can hold for a tenant that may call them.
constexpr absl::string_view kRunsCode[] = {
    "JobsService/SubmitRun",
    "JobsService/RunNow",
    "JobsService/CreateJob",
};

// A tenant whose rules could be stepped around through a method it may call is a
// configuration the gateway cannot enforce, so it is refused rather than served open.
void CheckEnforceable(Parser& p, const auth::TenantOptions& t, const std::string& path) {
  auto restricted = [](const std::vector<std::string>& patterns) {
    return std::none_of(patterns.begin(), patterns.end(),
                        [](const std::string& pattern) { return pattern == "*"; });
  };
  std::vector<std::string> rules;
  if (restricted(t.access.schemas)) rules.push_back("schema rules (access.schemas)");
  if (restricted(t.access.warehouses)) rules.push_back("warehouse rules (access.warehouses)");
  if (restricted(t.access.secret_scopes)) {
    rules.push_back("secret scope rules (access.secret_scopes)");
  }
  if (rules.empty()) return;
  for (absl::string_view method : kRunsCode) {
    const bool callable = std::any_of(
        t.access.methods.begin(), t.access.methods.end(),
        [method](const std::string& pattern) { return PatternMatches(pattern, method); });
    if (!callable) continue;
    p.Error(Join(path, "access"),
            absl::StrCat("tenant '", t.name, "' has ", absl::StrJoin(rules, " and "),
                         " but may call ", method,
                         ", whose task code reaches what those rules guard; leave it out of "
                         "access.methods, or allow everything (\"*\") and rely on the "
                         "credential pool's grants"));
  }
}

void Validate(Parser& p, const GatewayConfig& config, const EnvReader& env) {
  CheckAddress(p, config.server.grpc_address, "server.grpc_address");
  CheckAddress(p, config.server.admin_address, "server.admin_address");
  const app::TlsOptions& tls = config.server.tls;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    p.Error("server.tls", "needs both cert_file and key_file");
  }
  if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
    p.Error("server.tls.client_ca_file", "needs cert_file and key_file");
  }
  if (tls.require_client_cert && tls.client_ca_file.empty()) {
    p.Error("server.tls.require_client_cert", "needs client_ca_file");
  }
  CheckReadable(p, tls.cert_file, "server.tls.cert_file");
  CheckReadable(p, tls.key_file, "server.tls.key_file");
  CheckReadable(p, tls.client_ca_file, "server.tls.client_ca_file");
  {
    // The admin server binds an IP address directly (no name resolution).
    std::string host =
        config.server.admin_address.substr(0, config.server.admin_address.rfind(':'));
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    unsigned char ip[16];
    if (host != "localhost" && inet_pton(AF_INET, host.c_str(), ip) != 1 &&
        inet_pton(AF_INET6, host.c_str(), ip) != 1) {
      p.Error("server.admin_address",
              absl::StrCat("must name an IP address or localhost, not \"", host, "\""));
    }
  }

  if (config.workspaces.empty()) {
    p.Error("workspaces", "at least one workspace is required (or set DATABRICKS_HOST)");
  }
  std::set<std::string> workspace_names;
  for (size_t i = 0; i < config.workspaces.size(); ++i) {
    const upstream::WorkspaceOptions& w = config.workspaces[i];
    const std::string path = Index("workspaces", i);
    if (w.name.empty()) p.Error(Join(path, "name"), "is required");
    if (!w.name.empty() && !workspace_names.insert(w.name).second) {
      p.Error(Join(path, "name"), absl::StrCat("duplicate workspace name \"", w.name, "\""));
    }
    if (w.host.empty()) {
      p.Error(Join(path, "host"), "is required (the workspace URL, https://<workspace host>)");
    } else if (absl::StartsWith(w.host, "http://")) {
      if (!w.allow_plaintext) {
        p.Error(Join(path, "host"),
                "uses http://; Databricks is reached over https:// only (allow_plaintext: true "
                "is for the local emulator)");
      }
    } else if (!absl::StartsWith(w.host, "https://") || w.host.size() <= 8) {
      p.Error(Join(path, "host"), absl::StrCat("must be an https:// URL, not \"", w.host, "\""));
    }
    if (w.retry.max_backoff_ms < w.retry.base_backoff_ms) {
      p.Error(Join(path, "retry.max_backoff_ms"), "must be >= retry.base_backoff_ms");
    }
  }

  std::set<std::string> pool_names;
  for (size_t i = 0; i < config.credential_pools.size(); ++i) {
    const credentials::CredentialPoolOptions& pool = config.credential_pools[i];
    const std::string path = Index("credential_pools", i);
    if (pool.name.empty()) p.Error(Join(path, "name"), "is required");
    if (!pool.name.empty() && !pool_names.insert(pool.name).second) {
      p.Error(Join(path, "name"), absl::StrCat("duplicate pool name \"", pool.name, "\""));
    }
    if (workspace_names.count(pool.workspace) == 0) {
      p.Error(Join(path, "workspace"),
              pool.workspace.empty()
                  ? std::string("is required")
                  : absl::StrCat("names no configured workspace (\"", pool.workspace, "\")"));
    }
    if (pool.credentials.empty()) {
      p.Error(Join(path, "credentials"),
              "at least one credential is required (pat, oauth_m2m or azure_service_principal)");
    }
    std::set<std::string> credential_names;
    for (size_t j = 0; j < pool.credentials.size(); ++j) {
      const credentials::CredentialOptions& c = pool.credentials[j];
      const std::string cpath = Index(Join(path, "credentials"), j);
      if (c.name.empty()) p.Error(Join(cpath, "name"), "is required");
      if (!c.name.empty() && !credential_names.insert(c.name).second) {
        p.Error(Join(cpath, "name"), absl::StrCat("duplicate credential name \"", c.name, "\""));
      }
      if (c.type == credentials::CredentialType::kPat) {
        CheckSecret(p, config, c.token, Join(cpath, "token"), env);
      } else {
        CheckSecret(p, config, c.client_secret, Join(cpath, "client_secret"), env);
      }
    }
  }

  std::set<std::string> tenant_names;
  std::set<std::string> key_hashes;
  for (size_t i = 0; i < config.tenants.size(); ++i) {
    const auth::TenantOptions& t = config.tenants[i];
    const std::string path = Index("tenants", i);
    if (t.name.empty()) p.Error(Join(path, "name"), "is required");
    if (!t.name.empty() && !ValidTenantName(t.name)) {
      // The name is written into the marks Databricks keeps with a tenant's runs and jobs
      // (server/auth/ownership.h); a ']' or a space could make one tenant's mark another's.
      p.Error(Join(path, "name"),
              absl::StrCat("\"", t.name, "\": use 1-64 letters, digits, '-', '_' or '.'"));
    }
    CheckEnforceable(p, t, path);
    if (!t.name.empty() && !tenant_names.insert(t.name).second) {
      p.Error(Join(path, "name"), absl::StrCat("duplicate tenant name \"", t.name, "\""));
    }
    if (!t.mtls_identities.empty() && config.server.tls.client_ca_file.empty()) {
      p.Error(Join(path, "mtls_identities"),
              "needs server.tls.client_ca_file (client certificates are not requested)");
    }
    if (pool_names.count(t.credential_pool) == 0) {
      p.Error(Join(path, "credential_pool"),
              t.credential_pool.empty() ? std::string("is required")
                                        : absl::StrCat("names no configured credential pool (\"",
                                                       t.credential_pool, "\")"));
    }
    for (size_t j = 0; j < t.api_key_sha256.size(); ++j) {
      if (!key_hashes.insert(t.api_key_sha256[j]).second) {
        p.Error(Index(Join(path, "api_key_sha256"), j),
                "is already used by another tenant or entry");
      }
    }
    if (t.quota.tenant.global && !config.redis.enabled) {
      p.Error(Join(path, "quota.global"), "needs redis.enabled: true");
    }
    for (size_t j = 0; j < t.quota.methods.size(); ++j) {
      if (t.quota.methods[j].rule.global && !config.redis.enabled) {
        p.Error(Join(Index(Join(path, "quota.methods"), j), "global"), "needs redis.enabled: true");
      }
    }
  }

  if (config.redis.enabled) {
    CheckAddress(p, config.redis.address, "redis.address");
    if (config.redis.has_password) {
      CheckSecret(p, config, config.redis.password, "redis.password", env);
    }
  }
  if (config.server.has_admin_token) {
    CheckSecret(p, config, config.server.admin_token, "server.admin_token", env);
  }
  if (config.has_handle_signing_key) {
    CheckSecret(p, config, config.handle_signing_key, "security.handle_signing_key", env);
    // A readable key must be long enough whatever strict_secrets says: a short key makes
    // every tenant's handles guessable offline.
    absl::StatusOr<std::string> key = ReadSecret(config.handle_signing_key, env);
    if (key.ok() && key->size() < kMinSigningKeyBytes) {
      p.Error("security.handle_signing_key", SigningKeyTooShort(key->size()));
    }
  } else if (!config.tenants.empty()) {
    p.Error("security.handle_signing_key",
            "is required with tenants: run and statement handles are signed with it, so that "
            "every replica can tell a tenant's handles from another's");
  }
}

}  // namespace

std::string SigningKeyTooShort(size_t bytes) {
  return absl::StrCat("must be at least ", kMinSigningKeyBytes, " bytes (it has ", bytes,
                      "); make one with: openssl rand -base64 48");
}

absl::StatusOr<GatewayConfig> ParseConfig(absl::string_view yaml, const EnvReader& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  Parser p(env);
  GatewayConfig config;
  try {
    if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
      return absl::InvalidArgumentError("(top level): must be a mapping");
    }
    p.Map(root, "",
          {"server", "workspaces", "credential_pools", "tenants", "redis", "record", "audit",
           "security"});
    ParseServer(p, root["server"], config.server);
    size_t i = 0;
    for (const YAML::Node& item : p.Seq(root["workspaces"], "workspaces")) {
      config.workspaces.push_back(ParseWorkspace(p, item, Index("workspaces", i++)));
    }
    i = 0;
    for (const YAML::Node& item : p.Seq(root["credential_pools"], "credential_pools")) {
      config.credential_pools.push_back(ParsePool(p, item, Index("credential_pools", i++)));
    }
    i = 0;
    for (const YAML::Node& item : p.Seq(root["tenants"], "tenants")) {
      config.tenants.push_back(ParseTenant(p, item, Index("tenants", i++)));
    }
    ParseRedis(p, root["redis"], config.redis);
    ParseRecord(p, root["record"], config.record);
    ParseAudit(p, root["audit"], config.audit);
    ParseSecurity(p, root["security"], config);
  } catch (const YAML::Exception& e) {
    // Only reachable on malformed node shapes the checks above did not anticipate.
    p.Error("(config)", e.what());
  }
  ApplyEnvironment(p, config);
  Validate(p, config, env);
  if (!p.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(p.errors(), "\n"));
  }
  return config;
}

absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path, const EnvReader& env) {
  std::optional<std::string> text = ReadWholeFile(path);
  if (!text.has_value()) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  absl::StatusOr<GatewayConfig> config = ParseConfig(*text, env);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ":\n", config.status().message()));
  }
  return config;
}

std::vector<SecretRef> SecretRefs(const GatewayConfig& config) {
  std::vector<SecretRef> refs;
  for (const auto& pool : config.credential_pools) {
    for (const auto& c : pool.credentials) {
      if (c.type == credentials::CredentialType::kPat) {
        refs.push_back(c.token);
      } else {
        refs.push_back(c.client_secret);
      }
    }
  }
  if (config.redis.has_password) refs.push_back(config.redis.password);
  if (config.has_handle_signing_key) refs.push_back(config.handle_signing_key);
  if (config.server.has_admin_token) refs.push_back(config.server.admin_token);
  return refs;
}

namespace {

void EmitSecret(YAML::Emitter& out, const char* key, const SecretRef& ref) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << (ref.source == SecretRef::Source::kEnv ? "env" : "file") << YAML::Value << ref.name
      << YAML::EndMap;
}

template <typename T>
void Put(YAML::Emitter& out, const char* key, const T& value) {
  out << YAML::Key << key << YAML::Value << value;
}

void EmitRule(YAML::Emitter& out, const ratelimit::RuleOptions& rule) {
  Put(out, "requests_per_second", rule.requests_per_second);
  Put(out, "burst", rule.burst);
  Put(out, "max_concurrent", rule.max_concurrent);
  Put(out, "global", rule.global);
  Put(out, "shadow", rule.shadow);
}

void EmitList(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << items;
}

const char* TypeName(credentials::CredentialType type) {
  switch (type) {
    case credentials::CredentialType::kPat:
      return "pat";
    case credentials::CredentialType::kOAuthM2M:
      return "oauth_m2m";
    case credentials::CredentialType::kAzureServicePrincipal:
      return "azure_service_principal";
  }
  return "pat";
}

}  // namespace

std::string RedactedYaml(const GatewayConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  const app::ServerOptions& s = config.server;
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  Put(out, "grpc_address", s.grpc_address);
  Put(out, "admin_address", s.admin_address);
  if (s.has_admin_token) EmitSecret(out, "admin_token", s.admin_token);
  if (s.tls.enabled()) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    Put(out, "cert_file", s.tls.cert_file);
    Put(out, "key_file", s.tls.key_file);
    Put(out, "client_ca_file", s.tls.client_ca_file);
    Put(out, "require_client_cert", s.tls.require_client_cert);
    out << YAML::EndMap;
  }
  Put(out, "max_message_bytes", s.max_message_bytes);
  Put(out, "drain_seconds", s.drain_seconds);
  Put(out, "config_poll_seconds", s.config_poll_seconds);
  Put(out, "log_level", std::string(LogLevelName(s.log_level)));
  out << YAML::EndMap;

  out << YAML::Key << "workspaces" << YAML::Value << YAML::BeginSeq;
  for (const auto& w : config.workspaces) {
    out << YAML::BeginMap;
    Put(out, "name", w.name);
    Put(out, "host", w.host);
    Put(out, "allow_plaintext", w.allow_plaintext);
    Put(out, "ca_file", w.ca_file);
    Put(out, "timeout_seconds", w.timeout_seconds);
    Put(out, "connect_timeout_ms", w.connect_timeout_ms);
    Put(out, "max_connections", w.max_connections);
    Put(out, "idle_timeout_seconds", w.idle_timeout_seconds);
    Put(out, "max_response_bytes", w.max_response_bytes);
    Put(out, "rate_limit_rps", w.rate_limit_rps);
    Put(out, "rate_limit_burst", w.rate_limit_burst);
    out << YAML::Key << "pacing" << YAML::Value << YAML::BeginMap;
    Put(out, "controller", w.pacing.controller);
    Put(out, "min_rate", w.pacing.min_rate);
    Put(out, "queue_per_tenant", w.pacing.queue_per_tenant);
    Put(out, "max_cool_down_seconds", w.pacing.max_cool_down_seconds);
    out << YAML::Key << "rates" << YAML::Value << YAML::BeginMap;
    for (const auto& [operation, rate] : w.pacing.rates) Put(out, operation.c_str(), rate);
    out << YAML::EndMap;
    out << YAML::EndMap;
    out << YAML::Key << "retry" << YAML::Value << YAML::BeginMap;
    Put(out, "max_retries", w.retry.max_retries);
    Put(out, "base_backoff_ms", w.retry.base_backoff_ms);
    Put(out, "max_backoff_ms", w.retry.max_backoff_ms);
    Put(out, "max_retry_after_seconds", w.retry.max_retry_after_seconds);
    Put(out, "budget_percent", w.retry.budget_percent);
    Put(out, "min_retry_concurrency", w.retry.min_retry_concurrency);
    out << YAML::EndMap;
    out << YAML::Key << "circuit_breaker" << YAML::Value << YAML::BeginMap;
    Put(out, "failure_threshold", w.circuit_breaker.failure_threshold);
    Put(out, "open_seconds", w.circuit_breaker.open_seconds);
    Put(out, "half_open_probes", w.circuit_breaker.half_open_probes);
    out << YAML::EndMap;
    Put(out, "default_warehouse_id", w.default_warehouse_id);
    Put(out, "default_catalog", w.default_catalog);
    Put(out, "default_schema", w.default_schema);
    Put(out, "streaming_notebook_path", w.streaming_notebook_path);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "credential_pools" << YAML::Value << YAML::BeginSeq;
  for (const auto& pool : config.credential_pools) {
    out << YAML::BeginMap;
    Put(out, "name", pool.name);
    Put(out, "workspace", pool.workspace);
    Put(out, "eject_base_seconds", pool.eject_base_seconds);
    Put(out, "eject_max_seconds", pool.eject_max_seconds);
    out << YAML::Key << "credentials" << YAML::Value << YAML::BeginSeq;
    for (const auto& c : pool.credentials) {
      out << YAML::BeginMap;
      Put(out, "name", c.name);
      Put(out, "type", TypeName(c.type));
      if (c.type == credentials::CredentialType::kPat) {
        EmitSecret(out, "token", c.token);
      } else {
        Put(out, "client_id", c.client_id);
        EmitSecret(out, "client_secret", c.client_secret);
      }
      if (c.type == credentials::CredentialType::kAzureServicePrincipal) {
        Put(out, "azure_tenant_id", c.azure_tenant_id);
        Put(out, "azure_login_host", c.azure_login_host);
      }
      if (c.type == credentials::CredentialType::kOAuthM2M) {
        Put(out, "scopes", c.scopes);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "tenants" << YAML::Value << YAML::BeginSeq;
  for (const auto& t : config.tenants) {
    out << YAML::BeginMap;
    Put(out, "name", t.name);
    std::vector<std::string> hashes;
    for (const auto& hash : t.api_key_sha256) hashes.push_back(hash.substr(0, 8) + "...");
    EmitList(out, "api_key_sha256", hashes);
    EmitList(out, "mtls_identities", t.mtls_identities);
    Put(out, "credential_pool", t.credential_pool);
    Put(out, "weight", t.weight);
    Put(out, "dry_run", t.dry_run);
    out << YAML::Key << "access" << YAML::Value << YAML::BeginMap;
    EmitList(out, "methods", t.access.methods);
    EmitList(out, "warehouses", t.access.warehouses);
    EmitList(out, "schemas", t.access.schemas);
    EmitList(out, "secret_scopes", t.access.secret_scopes);
    out << YAML::EndMap;
    out << YAML::Key << "quota" << YAML::Value << YAML::BeginMap;
    EmitRule(out, t.quota.tenant);
    if (!t.quota.methods.empty()) {
      out << YAML::Key << "methods" << YAML::Value << YAML::BeginSeq;
      for (const auto& m : t.quota.methods) {
        out << YAML::BeginMap;
        Put(out, "method", m.method);
        EmitRule(out, m.rule);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq;

  const ratelimit::RedisOptions& r = config.redis;
  out << YAML::Key << "redis" << YAML::Value << YAML::BeginMap;
  Put(out, "enabled", r.enabled);
  Put(out, "address", r.address);
  if (r.has_password) EmitSecret(out, "password", r.password);
  Put(out, "timeout_ms", r.timeout_ms);
  Put(out, "replica_count", r.replica_count);
  Put(out, "key_prefix", r.key_prefix);
  out << YAML::EndMap;

  if (!config.record.path.empty()) {
    const upstream::RecordOptions& rec = config.record;
    out << YAML::Key << "record" << YAML::Value << YAML::BeginMap;
    Put(out, "path", rec.path);
    Put(out, "max_bytes", rec.max_bytes);
    Put(out, "max_files", rec.max_files);
    EmitList(out, "redact_fields", rec.redact_fields);
    out << YAML::EndMap;
  }

  out << YAML::Key << "audit" << YAML::Value << YAML::BeginMap;
  Put(out, "path", config.audit.path);
  out << YAML::EndMap;

  out << YAML::Key << "security" << YAML::Value << YAML::BeginMap;
  Put(out, "strict_secrets", config.strict_secrets);
  if (config.has_handle_signing_key) {
    EmitSecret(out, "handle_signing_key", config.handle_signing_key);
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace gateway::config
