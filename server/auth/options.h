// Options of tenant authentication and access rules.
#ifndef SERVER_AUTH_OPTIONS_H_
#define SERVER_AUTH_OPTIONS_H_

#include <string>
#include <vector>

#include "server/ratelimit/options.h"

namespace gateway::auth {

// What a tenant may touch. Patterns are exact names or end in "*" (prefix match); "*"
// alone allows everything.
struct AccessRules {
  // gRPC methods as "Service/Method" (e.g. "JobsService/*", "SqlService/ExecuteStatement").
  std::vector<std::string> methods = {"*"};
  // SQL warehouse ids.
  std::vector<std::string> warehouses = {"*"};
  // Catalogs and schemas as "catalog.schema" patterns (e.g. "main.*", "sales.reporting").
  std::vector<std::string> schemas = {"*"};
  // Databricks secret scopes the tenant's requests may reference ({{secrets/SCOPE/KEY}} in
  // a streaming run's options): the pool's principal resolves them, so without this rule a
  // tenant could read another's secrets through the shared principal.
  std::vector<std::string> secret_scopes = {"*"};
};

struct TenantOptions {
  // Unique name; a bounded metric label.
  std::string name;
  // Hex SHA-256 hashes of the tenant's API keys (several allow rotation).
  std::vector<std::string> api_key_sha256;
  // mTLS client-certificate identities (subject CN or SAN URI) that map to this tenant.
  std::vector<std::string> mtls_identities;
  // The credential pool whose Databricks identity the tenant's calls use.
  std::string credential_pool;
  // The tenant's share of each Databricks endpoint's budget when tenants compete for it:
  // rate × weight / the weights of the tenants waiting (server/upstream/budget.h).
  double weight = 1;
  AccessRules access;
  ratelimit::QuotaOptions quota;
  // Every call of the tenant is a dry run: mapped and answered with the requests it would
  // send, never sent (server/services/dry_run.h).
  bool dry_run = false;
};

}  // namespace gateway::auth

#endif  // SERVER_AUTH_OPTIONS_H_
