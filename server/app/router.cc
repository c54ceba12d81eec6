#include "server/app/router.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace gateway::app {
namespace {

absl::StatusOr<std::shared_ptr<const services::Route>> BuildRoute(
    const config::GatewayConfig& config, const EnvReader& env,
    const std::map<std::string, upstream::WorkspaceClient*>& clients) {
  if (config.workspaces.empty()) {
    return absl::UnavailableError(
        "no Databricks workspace is configured (set DATABRICKS_HOST or workspaces: in the file)");
  }
  const upstream::WorkspaceOptions* workspace = &config.workspaces.front();
  for (const upstream::WorkspaceOptions& w : config.workspaces) {
    if (w.name == "default") workspace = &w;
  }
  auto client = clients.find(workspace->name);
  if (client == clients.end()) {
    return absl::UnavailableError(absl::StrCat(
        "workspace '", workspace->name, "' was added by a reload; it is used after a restart"));
  }
  for (const credentials::CredentialPoolOptions& pool : config.credential_pools) {
    if (pool.workspace != workspace->name) continue;
    for (const credentials::CredentialOptions& credential : pool.credentials) {
      if (credential.type != credentials::CredentialType::kPat) continue;
      absl::StatusOr<std::string> token = ReadSecret(credential.token, env);
      if (!token.ok()) {
        return absl::UnavailableError(absl::StrCat("credential '", credential.name, "' of pool '",
                                                   pool.name, "': ", token.status().message()));
      }
      services::Defaults defaults{workspace->default_warehouse_id, workspace->default_catalog,
                                  workspace->default_schema};
      return std::make_shared<const services::Route>(
          client->second, absl::StrCat("Bearer ", *token), std::move(defaults), "");
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "workspace '", workspace->name,
      "' has no personal access token in a credential pool; this gateway version calls "
      "Databricks with a PAT (DATABRICKS_TOKEN)"));
}

}  // namespace

void StaticRouter::Update(const config::GatewayConfig& config, const EnvReader& env) {
  absl::StatusOr<std::shared_ptr<const services::Route>> route = BuildRoute(config, env, clients_);
  absl::MutexLock lock(&mu_);
  if (route.ok()) {
    route_ = *std::move(route);
    error_ = absl::OkStatus();
  } else {
    route_ = nullptr;
    error_ = route.status();
  }
}

absl::StatusOr<std::shared_ptr<const services::Route>> StaticRouter::RouteCall(
    const grpc::CallbackServerContext&) {
  absl::MutexLock lock(&mu_);
  if (route_ == nullptr) return error_;
  return route_;
}

}  // namespace gateway::app
