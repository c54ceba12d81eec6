// The gateway's configuration: one YAML file plus the DATABRICKS_* environment variables
// of seed 004 (docs/configuration.md). This is the only code that reads YAML.
//
// Loading validates everything and reports every error at once, each with its YAML path
// ("tenants[2].quota.burst: must be >= 0"); unknown keys are errors. Secrets are never
// written in the file: a secret field is {env: NAME} or {file: PATH}.
//
// Environment variables describe the workspace named "default" and win over the file
// for it: DATABRICKS_HOST (creates the workspace if the file has none of that name),
// DATABRICKS_TIMEOUT_SECS, DATABRICKS_RATE_LIMIT, DATABRICKS_MAX_RETRIES,
// DATABRICKS_WAREHOUSE_ID, DATABRICKS_CATALOG, DATABRICKS_SCHEMA. Credentials in
// DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET and AZURE_TENANT_ID +
// AZURE_CLIENT_ID + AZURE_CLIENT_SECRET are added to the credential pool named "default"
// (created for the "default" workspace if the file has none).
#ifndef SERVER_CONFIG_CONFIG_H_
#define SERVER_CONFIG_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/app/options.h"
#include "server/audit/options.h"
#include "server/auth/options.h"
#include "server/common/secret.h"
#include "server/credentials/options.h"
#include "server/ratelimit/options.h"
#include "server/upstream/options.h"

namespace gateway::config {

struct GatewayConfig {
  app::ServerOptions server;
  std::vector<upstream::WorkspaceOptions> workspaces;
  std::vector<credentials::CredentialPoolOptions> credential_pools;
  std::vector<auth::TenantOptions> tenants;
  ratelimit::RedisOptions redis;
  // Recording of upstream exchanges (off without a path); read at start only.
  upstream::RecordOptions record;
  // The audit trail's sink; read at start only.
  audit::AuditOptions audit;
  // Key that signs the run and statement handles given to tenants.
  SecretRef handle_signing_key;
  bool has_handle_signing_key = false;
  // Refuse to load when a configured secret is missing, empty or a placeholder.
  bool strict_secrets = true;
};

// The shortest security.handle_signing_key accepted: 256 bits, HMAC-SHA256's own strength.
inline constexpr size_t kMinSigningKeyBytes = 32;
// The reason a key of `bytes` bytes is refused (no part of the key in it).
std::string SigningKeyTooShort(size_t bytes);

// Parses and validates `yaml`. `env` supplies the DATABRICKS_* variables and, in strict
// mode, the secrets. Errors: INVALID_ARGUMENT whose message has one line per problem,
// "path: what is wrong".
absl::StatusOr<GatewayConfig> ParseConfig(absl::string_view yaml, const EnvReader& env);

// Reads `path` and parses it. An unreadable file is NOT_FOUND; YAML syntax errors name
// the file, line and column.
absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path, const EnvReader& env);

// Every secret reference in the config (to register values for log redaction).
std::vector<SecretRef> SecretRefs(const GatewayConfig& config);

// The effective configuration as YAML for /config and --check: secrets appear only as
// their references ({env: NAME}), API-key hashes only by their first 8 hex digits.
std::string RedactedYaml(const GatewayConfig& config);

}  // namespace gateway::config

#endif  // SERVER_CONFIG_CONFIG_H_
