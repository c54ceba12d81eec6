// Who is calling and what they may touch.
//
// Authenticator maps a call's API key (`authorization: Bearer KEY` or `x-api-key: KEY`)
// or mTLS client-certificate identity to a configured tenant. Keys are never stored: the
// configuration holds their SHA-256, and a presented key is hashed and looked up by its
// digest, with a constant-time comparison of the digests. A missing and an unknown key get
// the same UNAUTHENTICATED message, so a caller learns nothing about which keys exist.
//
// AccessPolicy holds one tenant's access rules; a refusal is PERMISSION_DENIED naming the
// rule (access.methods, access.warehouses or access.schemas) and an ErrorInfo
// ACCESS_DENIED in the gateway's domain.
//
// HandleSigner binds the run and statement ids given to a tenant to that tenant with an
// HMAC, so any replica can refuse another tenant's handle with no shared state.
//
// All three are immutable after construction and thread-safe.
#ifndef SERVER_AUTH_TENANTS_H_
#define SERVER_AUTH_TENANTS_H_

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/auth/options.h"

namespace gateway::auth {

using Digest = std::array<unsigned char, 32>;

// The SHA-256 of `data`.
Digest Sha256(absl::string_view data);

// What a call presented to identify itself.
struct Credentials {
  // The `authorization` metadata value, if any ("Bearer KEY").
  std::optional<std::string> authorization;
  // The `x-api-key` metadata value, if any.
  std::optional<std::string> api_key;
  // Identities of a verified client certificate (subject CN, SAN URIs and DNS names).
  std::vector<std::string> peer_identities;
};

class Authenticator {
 public:
  // `tenants` as validated by the config loader (unique key hashes and names).
  explicit Authenticator(const std::vector<TenantOptions>& tenants);

  // The index in `tenants` of the caller's tenant. An API key wins over a certificate.
  // Errors: UNAUTHENTICATED with one message for a missing or unknown key; `reason` (if
  // given) is set to "missing_key", "unknown_key" or "unknown_identity" for metrics.
  absl::StatusOr<size_t> Identify(const Credentials& credentials,
                                  std::string* reason = nullptr) const;

 private:
  std::map<Digest, size_t> by_key_;
  std::map<std::string, size_t, std::less<>> by_identity_;
};

class AccessPolicy {
 public:
  AccessPolicy(std::string tenant, AccessRules rules)
      : tenant_(std::move(tenant)), rules_(std::move(rules)) {}

  // `method` is "Service/Method".
  absl::Status CheckMethod(absl::string_view method) const;
  absl::Status CheckWarehouse(absl::string_view warehouse_id) const;
  // A table, view or function in `catalog`.`schema`, or the schema itself.
  absl::Status CheckSchema(absl::string_view catalog, absl::string_view schema) const;
  // The catalog itself (reading it, listing its schemas): allowed when some schema pattern
  // could match a schema in it.
  absl::Status CheckCatalog(absl::string_view catalog) const;

  bool SchemaAllowed(absl::string_view catalog, absl::string_view schema) const;
  bool CatalogAllowed(absl::string_view catalog) const;
  // Whether a schema pattern is "*" (the pool's grants are then the only boundary).
  bool AllSchemasAllowed() const;
  // The refusal of a storage path (`field` names it in the request): schema rules cover
  // tables only, so a tenant bound by them may name no path.
  absl::Status DenyPath(absl::string_view field, absl::string_view path) const;
  // A Databricks secret scope a request references (access.secret_scopes).
  absl::Status CheckSecretScope(absl::string_view scope) const;
  // An object `what` ("read table main.s.t") in `catalog`.`schema` under the schema rules;
  // the refusal names the object.
  absl::Status CheckObject(absl::string_view what, absl::string_view catalog,
                           absl::string_view schema) const;
  // The refusal of a construct the schema rules cannot be checked against (`what`: "use
  // table-valued function read_files (statement, position 14)").
  absl::Status DenyUnchecked(absl::string_view what) const;

  const std::string& tenant() const { return tenant_; }

 private:
  absl::Status Denied(absl::string_view rule, absl::string_view what,
                      const std::vector<std::string>& patterns) const;

  const std::string tenant_;
  const AccessRules rules_;
};

class HandleSigner {
 public:
  // `key`: the secret from security.handle_signing_key.
  explicit HandleSigner(std::string key) : key_(std::move(key)) {}

  // "ID.MAC": the id, and a MAC over the tenant, the kind ("run", "statement") and the id.
  std::string Sign(absl::string_view tenant, absl::string_view kind, absl::string_view id) const;
  // A value derived from `value` for the tenant and a purpose (`kind`), that nobody without
  // the key can compute: 40 hex digits of HMAC-SHA256. The gateway's idempotency tokens,
  // so that no one who can reach Databricks directly can take a tenant's token first.
  std::string Derive(absl::string_view tenant, absl::string_view kind,
                     absl::string_view value) const;
  // The id inside `handle` when its MAC is the tenant's; otherwise NOT_FOUND saying the
  // `kind` does not exist (the same answer as for an id that never existed).
  absl::StatusOr<std::string> Verify(absl::string_view tenant, absl::string_view kind,
                                     absl::string_view handle) const;

 private:
  std::string Mac(absl::string_view tenant, absl::string_view kind, absl::string_view id) const;
  const std::string key_;
};

// The NOT_FOUND answer for a handle that is not the caller's or does not exist.
absl::Status UnknownHandle(absl::string_view kind, absl::string_view handle);

}  // namespace gateway::auth

#endif  // SERVER_AUTH_TENANTS_H_
