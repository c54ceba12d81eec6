// Options of the credential pools: the Databricks identities the gateway calls with.
// Secrets are references (env or file), never values.
#ifndef SERVER_CREDENTIALS_OPTIONS_H_
#define SERVER_CREDENTIALS_OPTIONS_H_

#include <string>
#include <vector>

#include "server/common/secret.h"

namespace gateway::credentials {

enum class CredentialType {
  // Personal access token, sent as a bearer token.
  kPat,
  // OAuth machine-to-machine: client id + secret → token from {host}/oidc/v1/token.
  kOAuthM2M,
  // Azure service principal: AAD client credentials → token for Azure Databricks.
  kAzureServicePrincipal,
};

struct CredentialOptions {
  // Unique within the pool; shown in metrics and logs.
  std::string name;
  CredentialType type = CredentialType::kPat;
  // kPat: the token.
  SecretRef token;
  // kOAuthM2M and kAzureServicePrincipal: the client (application) id. Not a secret.
  std::string client_id;
  // kOAuthM2M and kAzureServicePrincipal: the client secret.
  SecretRef client_secret;
  // kAzureServicePrincipal: the AAD tenant id.
  std::string azure_tenant_id;
  // kAzureServicePrincipal: the AAD login host; empty: the public cloud's.
  std::string azure_login_host;
  // kOAuthM2M: the OAuth scope.
  std::string scopes = "all-apis";

  bool operator==(const CredentialOptions& o) const {
    return name == o.name && type == o.type && token == o.token && client_id == o.client_id &&
           client_secret == o.client_secret && azure_tenant_id == o.azure_tenant_id &&
           azure_login_host == o.azure_login_host && scopes == o.scopes;
  }
};

struct CredentialPoolOptions {
  // Unique name; tenants refer to it.
  std::string name;
  // The workspace the credentials belong to.
  std::string workspace;
  // At least one.
  std::vector<CredentialOptions> credentials;
  // A rejected credential (401, or 403 about its token) is ejected for
  // eject_base_seconds × (its consecutive ejections), at most eject_max_seconds.
  int eject_base_seconds = 30;
  int eject_max_seconds = 300;

  bool operator==(const CredentialPoolOptions& o) const {
    return name == o.name && workspace == o.workspace && credentials == o.credentials &&
           eject_base_seconds == o.eject_base_seconds && eject_max_seconds == o.eject_max_seconds;
  }
};

}  // namespace gateway::credentials

#endif  // SERVER_CREDENTIALS_OPTIONS_H_
