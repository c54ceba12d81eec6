// The router of the single-tenant gateway: every call goes to one workspace with one
// credential. Tenancy (API keys, access rules, limits, credential pools) replaces it with a
// router that picks the caller's pool; the services do not change.
#ifndef SERVER_APP_ROUTER_H_
#define SERVER_APP_ROUTER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/common/secret.h"
#include "server/config/config.h"
#include "server/services/route.h"
#include "server/upstream/workspace_client.h"

namespace gateway::app {

class StaticRouter final : public services::Router {
 public:
  // `clients` by workspace name; not owned, they outlive the router's calls.
  explicit StaticRouter(std::map<std::string, upstream::WorkspaceClient*> clients)
      : clients_(std::move(clients)) {}

  // Builds the route from `config`: the workspace named "default" (the DATABRICKS_* one)
  // or else the first, with the first personal access token of a credential pool of that
  // workspace. Called at start and after each reload. When no route can be built, calls
  // fail with UNAVAILABLE saying why.
  void Update(const config::GatewayConfig& config, const EnvReader& env) ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<std::shared_ptr<const services::Route>> RouteCall(
      const grpc::CallbackServerContext& context) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::map<std::string, upstream::WorkspaceClient*> clients_;
  absl::Mutex mu_;
  std::shared_ptr<const services::Route> route_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_) = absl::UnavailableError("no route yet");
};

}  // namespace gateway::app

#endif  // SERVER_APP_ROUTER_H_
