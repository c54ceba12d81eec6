#include "server/auth/tenants.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "server/common/error_details.h"
#include "server/common/pattern.h"

namespace gateway::auth {
namespace {

constexpr absl::string_view kUnauthenticated =
    "missing or unknown API key: send the tenant's key as 'authorization: Bearer KEY' or "
    "'x-api-key: KEY'";

// Bytes of HMAC-SHA256 kept in a handle: 128 bits, beyond guessing.
constexpr size_t kMacBytes = 16;

absl::Status Unauthenticated() {
  absl::Status status = absl::UnauthenticatedError(kUnauthenticated);
  SetErrorInfo(status, "API_KEY_INVALID", kGatewayDomain);
  return status;
}

// The key inside an `authorization` value: "Bearer KEY" (the scheme in any case).
std::optional<absl::string_view> BearerKey(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return std::nullopt;
  }
  return absl::StripAsciiWhitespace(value.substr(7));
}

}  // namespace

Digest Sha256(absl::string_view data) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

Authenticator::Authenticator(const std::vector<TenantOptions>& tenants) {
  for (size_t i = 0; i < tenants.size(); ++i) {
    for (const std::string& hex : tenants[i].api_key_sha256) {
      const std::string bytes = absl::HexStringToBytes(hex);
      Digest digest{};
      if (bytes.size() != digest.size()) continue;  // the loader refuses such hashes
      std::copy(bytes.begin(), bytes.end(), digest.begin());
      by_key_.emplace(digest, i);
    }
    for (const std::string& identity : tenants[i].mtls_identities) {
      by_identity_.emplace(identity, i);
    }
  }
}

absl::StatusOr<size_t> Authenticator::Identify(const Credentials& credentials,
                                               std::string* reason) const {
  std::optional<absl::string_view> key;
  if (credentials.authorization.has_value()) key = BearerKey(*credentials.authorization);
  if (!key.has_value() && credentials.api_key.has_value()) {
    key = absl::StripAsciiWhitespace(*credentials.api_key);
  }
  if (key.has_value() && !key->empty()) {
    // The map is ordered by digest, so its lookup time depends only on the digest of the
    // presented key, which reveals nothing about configured keys; the final comparison is
    // constant-time all the same.
    const Digest digest = Sha256(*key);
    auto found = by_key_.find(digest);
    if (found != by_key_.end() &&
        CRYPTO_memcmp(found->first.data(), digest.data(), digest.size()) == 0) {
      return found->second;
    }
    if (reason != nullptr) *reason = "unknown_key";
    return Unauthenticated();
  }
  for (const std::string& identity : credentials.peer_identities) {
    auto found = by_identity_.find(identity);
    if (found != by_identity_.end()) return found->second;
  }
  if (reason != nullptr) {
    *reason = credentials.peer_identities.empty() ? "missing_key" : "unknown_identity";
  }
  return Unauthenticated();
}

absl::Status AccessPolicy::Denied(absl::string_view rule, absl::string_view what,
                                  const std::vector<std::string>& patterns) const {
  absl::Status status = absl::PermissionDeniedError(
      absl::StrCat("tenant '", tenant_, "' may not ", what, ": access.", rule, " allows only ",
                   patterns.empty() ? "nothing" : absl::StrJoin(patterns, ", ")));
  SetErrorInfo(status, "ACCESS_DENIED", kGatewayDomain,
               {{"tenant", tenant_}, {"rule", absl::StrCat("access.", rule)}});
  return status;
}

absl::Status AccessPolicy::CheckMethod(absl::string_view method) const {
  for (const std::string& pattern : rules_.methods) {
    if (PatternMatches(pattern, method)) return absl::OkStatus();
  }
  return Denied("methods", absl::StrCat("call ", method), rules_.methods);
}

absl::Status AccessPolicy::CheckWarehouse(absl::string_view warehouse_id) const {
  for (const std::string& pattern : rules_.warehouses) {
    if (PatternMatches(pattern, warehouse_id)) return absl::OkStatus();
  }
  return Denied("warehouses", absl::StrCat("use warehouse '", warehouse_id, "'"),
                rules_.warehouses);
}

bool AccessPolicy::SchemaAllowed(absl::string_view catalog, absl::string_view schema) const {
  // "main." would pass "main.*", and Databricks would resolve the empty part to a schema
  // the rule never named (the session's current one).
  if (catalog.empty() || schema.empty()) return false;
  const std::string name = absl::StrCat(catalog, ".", schema);
  for (const std::string& pattern : rules_.schemas) {
    if (PatternMatches(pattern, name)) return true;
  }
  return false;
}

bool AccessPolicy::AllSchemasAllowed() const {
  return std::any_of(rules_.schemas.begin(), rules_.schemas.end(),
                     [](const std::string& pattern) { return pattern == "*"; });
}

absl::Status AccessPolicy::DenyPath(absl::string_view field, absl::string_view path) const {
  return Denied("schemas",
                absl::StrCat("read the storage path '", path.substr(0, 200), "' (", field,
                             "), which no schema rule covers"),
                rules_.schemas);
}

absl::Status AccessPolicy::CheckSecretScope(absl::string_view scope) const {
  for (const std::string& pattern : rules_.secret_scopes) {
    if (PatternMatches(pattern, scope)) return absl::OkStatus();
  }
  return Denied("secret_scopes", absl::StrCat("reference secret scope '", scope, "'"),
                rules_.secret_scopes);
}

absl::Status AccessPolicy::CheckObject(absl::string_view what, absl::string_view catalog,
                                       absl::string_view schema) const {
  if (SchemaAllowed(catalog, schema)) return absl::OkStatus();
  return Denied("schemas",
                catalog.empty() || schema.empty()
                    ? absl::StrCat(what, " (no catalog or schema to resolve it in)")
                    : absl::StrCat(what, " in schema ", catalog, ".", schema),
                rules_.schemas);
}

absl::Status AccessPolicy::DenyUnchecked(absl::string_view what) const {
  return Denied("schemas", absl::StrCat(what, ", which the gateway cannot check"), rules_.schemas);
}

bool AccessPolicy::CatalogAllowed(absl::string_view catalog) const {
  const std::string prefix = absl::StrCat(catalog, ".");
  for (const std::string& pattern : rules_.schemas) {
    if (!pattern.empty() && pattern.back() == '*') {
      // "ma*" and "main.sales_*" both reach into catalog "main".
      const absl::string_view stem(pattern.data(), pattern.size() - 1);
      if (absl::StartsWith(prefix, stem) || absl::StartsWith(stem, prefix)) return true;
    } else if (absl::StartsWith(pattern, prefix)) {
      return true;
    }
  }
  return false;
}

absl::Status AccessPolicy::CheckSchema(absl::string_view catalog, absl::string_view schema) const {
  if (SchemaAllowed(catalog, schema)) return absl::OkStatus();
  return Denied("schemas", absl::StrCat("touch schema ", catalog, ".", schema), rules_.schemas);
}

absl::Status AccessPolicy::CheckCatalog(absl::string_view catalog) const {
  if (CatalogAllowed(catalog)) return absl::OkStatus();
  return Denied("schemas", absl::StrCat("touch catalog ", catalog), rules_.schemas);
}

std::string HandleSigner::Mac(absl::string_view tenant, absl::string_view kind,
                              absl::string_view id) const {
  // Newlines cannot occur in tenant names, kinds or ids, so the message is unambiguous.
  const std::string message = absl::StrCat(tenant, "\n", kind, "\n", id);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  std::string encoded;
  absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(mac), std::min<size_t>(length, kMacBytes)),
      &encoded);
  return encoded;
}

std::string HandleSigner::Derive(absl::string_view tenant, absl::string_view kind,
                                 absl::string_view value) const {
  const std::string message = absl::StrCat(tenant, "\n", kind, "\n", value);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), std::min<unsigned int>(length, 20)));
}

std::string HandleSigner::Sign(absl::string_view tenant, absl::string_view kind,
                               absl::string_view id) const {
  return absl::StrCat(id, ".", Mac(tenant, kind, id));
}

absl::StatusOr<std::string> HandleSigner::Verify(absl::string_view tenant, absl::string_view kind,
                                                 absl::string_view handle) const {
  const size_t dot = handle.rfind('.');
  if (dot == absl::string_view::npos) return UnknownHandle(kind, handle);
  const absl::string_view id = handle.substr(0, dot);
  const absl::string_view presented = handle.substr(dot + 1);
  const std::string expected = Mac(tenant, kind, id);
  if (presented.size() != expected.size() ||
      CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) != 0) {
    return UnknownHandle(kind, handle);
  }
  return std::string(id);
}

absl::Status UnknownHandle(absl::string_view kind, absl::string_view handle) {
  return absl::NotFoundError(absl::StrCat(kind, " '", handle.substr(0, 100), "' does not exist"));
}

}  // namespace gateway::auth
