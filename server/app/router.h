// The tenant-aware router: identifies the caller, checks its access to the method and its
// rate limits, and routes the call to its credential pool's workspace.
//
// A configuration without tenants runs the gateway single-tenant: every caller is the
// anonymous tenant, with no key, no limits and raw handles, on credential pool "default"
// (else the first pool). The gateway logs a warning saying so at start and on reload.
//
// Update swaps in a new configuration atomically: calls already routed keep what they were
// routed with; credential pools and rate-limit rules whose options did not change are
// kept, with their tokens, health and buckets. Thread-safe.
#ifndef SERVER_APP_ROUTER_H_
#define SERVER_APP_ROUTER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/tenants.h"
#include "server/common/log.h"
#include "server/common/secret.h"
#include "server/config/config.h"
#include "server/credentials/pool.h"
#include "server/metrics/credential_metrics.h"
#include "server/metrics/tenant_metrics.h"
#include "server/ratelimit/limiter.h"
#include "server/services/route.h"
#include "server/upstream/workspace_client.h"

namespace gateway::app {

class TenantRouter final : public services::Router {
 public:
  // Not owned; all outlive the router. `clients` by workspace name; `audit` (may be null)
  // receives every call's audit record.
  TenantRouter(std::map<std::string, upstream::WorkspaceClient*> clients,
               ratelimit::Limiter* limiter, metrics::TenantMetrics* tenant_metrics,
               metrics::CredentialMetrics* credential_metrics, Logger* logger,
               audit::Sink* audit = nullptr)
      : clients_(std::move(clients)),
        limiter_(limiter),
        tenant_metrics_(tenant_metrics),
        credential_metrics_(credential_metrics),
        logger_(logger),
        audit_(audit) {}

  // Builds tenants, pools and quotas from a validated `config`.
  void Update(const config::GatewayConfig& config, const EnvReader& env) ABSL_LOCKS_EXCLUDED(mu_);

  void RouteCall(const grpc::CallbackServerContext& context, absl::string_view method,
                 services::RouteCallback done) override ABSL_LOCKS_EXCLUDED(mu_);

  audit::Sink* audit_sink() const override { return audit_; }

  // Empty when every credential pool in use has a usable credential; else why not.
  std::string NotReadyReason() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Everything a call of one tenant needs.
  struct Tenant {
    services::Caller caller;
    std::shared_ptr<const ratelimit::TenantQuota> quota;  // null: no limits
    std::shared_ptr<credentials::CredentialPool> pool;
    upstream::WorkspaceClient* client = nullptr;
    services::Defaults defaults;
    bool dry_run = false;  // every call of the tenant is a dry run
    // Set when calls cannot be routed (a workspace added by a reload, an unreadable key).
    absl::Status unavailable;
  };
  // One configuration's routing, immutable once built.
  struct Table {
    explicit Table(const std::vector<auth::TenantOptions>& tenants) : authenticator(tenants) {}
    auth::Authenticator authenticator;
    std::vector<Tenant> tenants;  // in config order; the anonymous one alone without tenants
    bool anonymous = false;
    std::map<std::string, std::shared_ptr<credentials::CredentialPool>> pools;
  };

  std::shared_ptr<credentials::CredentialPool> Pool(
      const credentials::CredentialPoolOptions& options, const EnvReader& env)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Tenant MakeTenant(const std::string& name, const std::string& pool_name, const Table& table,
                    const config::GatewayConfig& config) const;

  const std::map<std::string, upstream::WorkspaceClient*> clients_;
  ratelimit::Limiter* const limiter_;
  metrics::TenantMetrics* const tenant_metrics_;
  metrics::CredentialMetrics* const credential_metrics_;
  Logger* const logger_;
  audit::Sink* const audit_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const Table> table_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway::app

#endif  // SERVER_APP_ROUTER_H_
