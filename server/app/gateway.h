// The running gateway: gRPC server, admin HTTP server, configuration reload and drain.
//
// Owns everything it starts. Thread-safe: Reload and Shutdown may be called from the
// signal thread while gRPC and admin threads serve.
#ifndef SERVER_APP_GATEWAY_H_
#define SERVER_APP_GATEWAY_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "server/app/admin_server.h"
#include "server/app/inflight.h"
#include "server/app/router.h"
#include "server/audit/audit.h"
#include "server/common/log.h"
#include "server/common/secret.h"
#include "server/config/config.h"
#include "server/metrics/credential_metrics.h"
#include "server/metrics/grpc_metrics.h"
#include "server/metrics/metrics.h"
#include "server/metrics/redis_metrics.h"
#include "server/metrics/service_metrics.h"
#include "server/metrics/tenant_metrics.h"
#include "server/metrics/upstream_metrics.h"
#include "server/ratelimit/limiter.h"
#include "server/ratelimit/redis_store.h"
#include "server/services/catalog_service.h"
#include "server/services/delta_service.h"
#include "server/services/jobs_service.h"
#include "server/services/sql_service.h"
#include "server/upstream/workspace_client.h"

namespace gateway::app {

class Gateway {
 public:
  // Starts serving `config` (loaded from `config_path`, which Reload reads again).
  // `logger` is not owned and must outlive the gateway. Errors: UNAVAILABLE when a
  // listener cannot be bound; INVALID_ARGUMENT when a workspace's CA file cannot be loaded.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(config::GatewayConfig config,
                                                        std::string config_path, EnvReader env,
                                                        Logger* logger);
  ~Gateway();

  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_->port(); }

  // Reads the config file again. A valid file replaces the configuration (listener
  // addresses apply only after a restart); an invalid one is logged and the old one stays.
  // Returns the load result.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops watching the config file and taking traffic: readiness and gRPC health turn NOT_SERVING,
  // in-flight calls get up to server.drain_seconds to finish, then the rest are cancelled and the
  // servers stop.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Gateway(config::GatewayConfig config, std::string config_path, EnvReader env, Logger* logger);
  std::string NotReadyReason() const ABSL_LOCKS_EXCLUDED(mu_);
  std::string ConfigYaml() const ABSL_LOCKS_EXCLUDED(mu_);
  void RegisterSecrets(const config::GatewayConfig& config);
  // Checks the config file every `period` and reloads when its contents change, until
  // StopWatching.
  void WatchConfig(absl::Duration period) ABSL_LOCKS_EXCLUDED(watch_mu_);
  void StopWatching() ABSL_LOCKS_EXCLUDED(watch_mu_);

  const std::string config_path_;
  const EnvReader env_;
  Logger* const logger_;
  metrics::GatewayMetrics metrics_;
  metrics::UpstreamMetrics upstream_metrics_;
  metrics::ServiceMetrics service_metrics_;
  metrics::GrpcServerMetrics grpc_metrics_;
  metrics::TenantMetrics tenant_metrics_;
  metrics::CredentialMetrics credential_metrics_;
  // Both null unless redis.enabled (read at start only).
  std::unique_ptr<metrics::RedisMetrics> redis_metrics_;
  std::unique_ptr<ratelimit::RedisStore> redis_store_;
  InflightTracker inflight_;
  ratelimit::Limiter limiter_;

  mutable absl::Mutex mu_;
  config::GatewayConfig config_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;

  // Declared before everything that calls them, so they are destroyed last: after the
  // gRPC server stopped and the services are gone.
  std::map<std::string, std::unique_ptr<upstream::WorkspaceClient>> clients_;
  std::unique_ptr<audit::JsonLinesSink> audit_;
  std::unique_ptr<TenantRouter> router_;
  std::unique_ptr<services::JobsService> jobs_;
  std::unique_ptr<services::SqlService> sql_;
  std::unique_ptr<services::DeltaService> delta_;
  std::unique_ptr<services::CatalogService> catalog_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  std::unique_ptr<AdminServer> admin_;

  absl::Mutex watch_mu_;
  bool stop_watching_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::thread watcher_;
};

}  // namespace gateway::app

#endif  // SERVER_APP_GATEWAY_H_
