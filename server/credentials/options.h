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
};

struct CredentialPoolOptions {
  // Unique name; tenants refer to it.
  std::string name;
  // The workspace the credentials belong to.
  std::string workspace;
  // At least one.
  std::vector<CredentialOptions> credentials;
};

}  // namespace gateway::credentials

#endif  // SERVER_CREDENTIALS_OPTIONS_H_
