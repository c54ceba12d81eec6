#include "server/app/gateway.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/app/version.h"
#include "server/common/file.h"
#include "server/upstream/beast_http_client.h"
#include "server/upstream/recorder.h"

namespace gateway::app {
namespace {

std::unique_ptr<ratelimit::RedisStore> StartRedisStore(const ratelimit::RedisOptions& redis,
                                                       const EnvReader& env, Logger* logger,
                                                       metrics::RedisMetrics* metrics) {
  if (metrics == nullptr) return nullptr;
  ratelimit::RedisStoreOptions options;
  options.address = redis.address;
  options.key_prefix = redis.key_prefix;
  options.timeout = absl::Milliseconds(redis.timeout_ms);
  if (redis.has_password) {
    // Read at each connection, so a rotated password file is picked up on the next one.
    options.password = [ref = redis.password, env] { return ReadSecret(ref, env); };
  }
  return std::make_unique<ratelimit::RedisStore>(std::move(options), logger, metrics);
}

// The gRPC listener's credentials: plaintext, TLS, or TLS asking for client certificates.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const TlsOptions& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  std::optional<std::string> key = ReadWholeFile(tls.key_file);
  std::optional<std::string> cert = ReadWholeFile(tls.cert_file);
  if (!key || !cert) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read server.tls ", !key ? "key_file" : "cert_file"));
  }
  pair.private_key = *std::move(key);
  pair.cert_chain = *std::move(cert);
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file.empty()) {
    std::optional<std::string> ca = ReadWholeFile(tls.client_ca_file);
    if (!ca) return absl::InvalidArgumentError("cannot read server.tls.client_ca_file");
    options.pem_root_certs = *std::move(ca);
    options.client_certificate_request =
        tls.require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// Whether the Redis settings that apply only at start differ.
bool RedisRestartNeeded(const ratelimit::RedisOptions& a, const ratelimit::RedisOptions& b) {
  return a.enabled != b.enabled || a.address != b.address || a.timeout_ms != b.timeout_ms ||
         a.key_prefix != b.key_prefix || a.has_password != b.has_password ||
         !(a.password == b.password);
}

}  // namespace

Gateway::Gateway(config::GatewayConfig config, std::string config_path, EnvReader env,
                 Logger* logger)
    : config_path_(std::move(config_path)),
      env_(std::move(env)),
      logger_(logger),
      metrics_(std::make_shared<prometheus::Registry>(), kVersion),
      upstream_metrics_(metrics_.registry()),
      service_metrics_(metrics_.registry()),
      grpc_metrics_(metrics_.registry()),
      tenant_metrics_(metrics_.registry()),
      credential_metrics_(metrics_.registry()),
      redis_metrics_(config.redis.enabled
                         ? std::make_unique<metrics::RedisMetrics>(metrics_.registry())
                         : nullptr),
      redis_store_(StartRedisStore(config.redis, env_, logger_, redis_metrics_.get())),
      inflight_(&metrics_.inflight_calls, &grpc_metrics_),
      limiter_(&tenant_metrics_, redis_store_.get()),
      config_(std::move(config)) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(config::GatewayConfig config,
                                                        std::string config_path, EnvReader env,
                                                        Logger* logger) {
  const app::ServerOptions server_options = config.server;
  std::unique_ptr<Gateway> gateway(
      new Gateway(std::move(config), std::move(config_path), std::move(env), logger));
  Gateway& g = *gateway;
  std::map<std::string, upstream::WorkspaceClient*> clients;
  {
    absl::MutexLock lock(&g.mu_);
    g.RegisterSecrets(g.config_);
    std::shared_ptr<upstream::ExchangeRecorder> recorder;
    if (!g.config_.record.path.empty()) {
      absl::StatusOr<std::unique_ptr<upstream::ExchangeRecorder>> opened =
          upstream::ExchangeRecorder::Open(
              g.config_.record, [logger](absl::string_view text) { return logger->Redact(text); });
      if (!opened.ok()) return opened.status();
      recorder = *std::move(opened);
      logger->Warn("recording every upstream exchange", {{"path", g.config_.record.path}});
    }
    for (const upstream::WorkspaceOptions& workspace : g.config_.workspaces) {
      metrics::UpstreamMetrics::Workspace& metrics =
          g.upstream_metrics_.ForWorkspace(workspace.name);
      absl::StatusOr<std::unique_ptr<upstream::BeastHttpClient>> http =
          upstream::BeastHttpClient::Create(upstream::HttpClientOptionsFor(workspace, &metrics));
      if (!http.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("workspace '", workspace.name, "': ", http.status().message()));
      }
      std::unique_ptr<upstream::HttpClient> transport = *std::move(http);
      if (recorder != nullptr) {
        transport = std::make_unique<upstream::RecordingHttpClient>(std::move(transport), recorder,
                                                                    workspace.name);
      }
      auto client = std::make_unique<upstream::WorkspaceClient>(
          workspace, std::move(transport), metrics,
          [logger](absl::string_view text) { return logger->Redact(text); });
      clients[workspace.name] = client.get();
      g.clients_[workspace.name] = std::move(client);
    }
    absl::StatusOr<std::unique_ptr<audit::JsonLinesSink>> audit_sink = audit::JsonLinesSink::Open(
        g.config_.audit.path, [logger](absl::string_view text) { return logger->Redact(text); });
    if (!audit_sink.ok()) return audit_sink.status();
    g.audit_ = *std::move(audit_sink);
    g.router_ = std::make_unique<TenantRouter>(std::move(clients), &g.limiter_, &g.tenant_metrics_,
                                               &g.credential_metrics_, logger, g.audit_.get());
    g.router_->Update(g.config_, g.env_);
  }
  g.jobs_ = std::make_unique<services::JobsService>(g.router_.get(), &g.service_metrics_);
  g.sql_ = std::make_unique<services::SqlService>(g.router_.get(), &g.service_metrics_);
  g.delta_ = std::make_unique<services::DeltaService>(g.router_.get(), &g.service_metrics_);
  g.catalog_ = std::make_unique<services::CatalogService>(g.router_.get());
  logger->SetLevel(server_options.log_level);
  g.metrics_.config_last_reload_success.SetToCurrentTime();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ListenerCredentials(server_options.tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(server_options.grpc_address, *credentials, &g.grpc_port_);
  builder.SetMaxReceiveMessageSize(server_options.max_message_bytes);
  builder.SetMaxSendMessageSize(server_options.max_message_bytes);
  builder.RegisterService(g.jobs_.get());
  builder.RegisterService(g.sql_.get());
  builder.RegisterService(g.delta_.get());
  builder.RegisterService(g.catalog_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(g.inflight_.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  g.server_ = builder.BuildAndStart();
  if (g.server_ == nullptr || g.grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", server_options.grpc_address));
  }

  AdminHandlers handlers;
  handlers.metrics = [&g] { return g.metrics_.Serialize(); };
  handlers.not_ready_reason = [&g] { return g.NotReadyReason(); };
  handlers.config = [&g] { return g.ConfigYaml(); };
  if (server_options.has_admin_token) {
    absl::StatusOr<std::string> token = ReadSecret(server_options.admin_token, g.env_);
    if (!token.ok()) {
      g.server_->Shutdown(std::chrono::system_clock::now());
      return absl::InvalidArgumentError(
          absl::StrCat("server.admin_token: ", token.status().message()));
    }
    handlers.config_token = *std::move(token);
  }
  absl::StatusOr<std::unique_ptr<AdminServer>> admin =
      AdminServer::Start(server_options.admin_address, std::move(handlers));
  if (!admin.ok()) {
    g.server_->Shutdown(std::chrono::system_clock::now());
    return admin.status();
  }
  g.admin_ = *std::move(admin);

  grpc::HealthCheckServiceInterface* health = g.server_->GetHealthCheckService();
  for (const char* service :
       {"databricks.gateway.v1.JobsService", "databricks.gateway.v1.SqlService",
        "databricks.gateway.v1.DeltaService", "databricks.gateway.v1.CatalogService"}) {
    health->SetServingStatus(service, true);
  }
  health->SetServingStatus(true);
  g.metrics_.ready.Set(1);
  if (server_options.config_poll_seconds > 0) {
    g.watcher_ = std::thread([&g, period = absl::Seconds(server_options.config_poll_seconds)] {
      g.WatchConfig(period);
    });
  }
  return gateway;
}

Gateway::~Gateway() {
  StopWatching();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
}

void Gateway::WatchConfig(absl::Duration period) {
  // Compared by contents, not modification time: a Kubernetes ConfigMap update swaps a
  // symlink, and editors may keep the time.
  std::optional<std::string> seen = ReadWholeFile(config_path_);
  while (true) {
    {
      absl::MutexLock lock(&watch_mu_);
      if (watch_mu_.AwaitWithTimeout(absl::Condition(&stop_watching_), period)) return;
    }
    std::optional<std::string> now = ReadWholeFile(config_path_);
    if (!now.has_value() || now == seen) continue;
    seen = std::move(now);
    logger_->Info("configuration file changed: reloading", {{"path", config_path_}});
    Reload().IgnoreError();
  }
}

void Gateway::StopWatching() {
  {
    absl::MutexLock lock(&watch_mu_);
    stop_watching_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void Gateway::RegisterSecrets(const config::GatewayConfig& config) {
  for (const SecretRef& ref : config::SecretRefs(config)) {
    absl::StatusOr<std::string> value = ReadSecret(ref, env_);
    if (value.ok()) logger_->AddSecret(*std::move(value));
  }
}

std::string Gateway::NotReadyReason() const {
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return "draining";
  }
  return router_->NotReadyReason();
}

std::string Gateway::ConfigYaml() const {
  absl::MutexLock lock(&mu_);
  return config::RedactedYaml(config_);
}

absl::Status Gateway::Reload() {
  absl::StatusOr<config::GatewayConfig> loaded = config::LoadConfigFile(config_path_, env_);
  if (!loaded.ok()) {
    metrics_.config_reloads_failure.Increment();
    logger_->Error("configuration reload rejected; the previous configuration stays in effect",
                   {{"path", config_path_}, {"errors", loaded.status().message()}});
    return loaded.status();
  }
  absl::MutexLock lock(&mu_);
  if (loaded->server.grpc_address != config_.server.grpc_address ||
      loaded->server.admin_address != config_.server.admin_address ||
      loaded->server.max_message_bytes != config_.server.max_message_bytes ||
      loaded->server.tls != config_.server.tls ||
      loaded->server.has_admin_token != config_.server.has_admin_token ||
      !(loaded->server.admin_token == config_.server.admin_token)) {
    logger_->Warn("listener settings changed; they apply after a restart",
                  {{"grpc_address", config_.server.grpc_address},
                   {"admin_address", config_.server.admin_address}});
    loaded->server.grpc_address = config_.server.grpc_address;
    loaded->server.admin_address = config_.server.admin_address;
    loaded->server.max_message_bytes = config_.server.max_message_bytes;
    loaded->server.tls = config_.server.tls;
    loaded->server.admin_token = config_.server.admin_token;
    loaded->server.has_admin_token = config_.server.has_admin_token;
  }
  if (RedisRestartNeeded(loaded->redis, config_.redis)) {
    logger_->Warn("redis settings changed; they apply after a restart (replica_count applies now)");
    const int replica_count = loaded->redis.replica_count;
    loaded->redis = config_.redis;
    loaded->redis.replica_count = replica_count;
  }
  const upstream::RecordOptions& record = loaded->record;
  if (record.path != config_.record.path || record.max_bytes != config_.record.max_bytes ||
      record.max_files != config_.record.max_files ||
      record.redact_fields != config_.record.redact_fields) {
    logger_->Warn("record settings changed; they apply after a restart");
    loaded->record = config_.record;
  }
  RegisterSecrets(*loaded);
  for (const upstream::WorkspaceOptions& workspace : loaded->workspaces) {
    if (clients_.count(workspace.name) == 0) {
      logger_->Warn("a workspace was added; it is used after a restart",
                    {{"workspace", workspace.name}});
    }
  }
  router_->Update(*loaded, env_);
  logger_->SetLevel(loaded->server.log_level);
  config_ = *std::move(loaded);
  metrics_.config_reloads_success.Increment();
  metrics_.config_last_reload_success.SetToCurrentTime();
  logger_->Info("configuration reloaded", {{"path", config_path_}});
  return absl::OkStatus();
}

void Gateway::Shutdown() {
  StopWatching();
  int drain_seconds;
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return;
    draining_ = true;
    drain_seconds = config_.server.drain_seconds;
  }
  metrics_.ready.Set(0);
  server_->GetHealthCheckService()->SetServingStatus(false);
  const int64_t inflight = inflight_.count();
  logger_->Info("draining", {{"inflight_calls", absl::StrCat(inflight)},
                             {"drain_seconds", absl::StrCat(drain_seconds)}});
  const bool idle = inflight_.WaitForIdle(absl::Now() + absl::Seconds(drain_seconds));
  if (!idle) {
    logger_->Warn("drain window ended; cancelling calls still in flight",
                  {{"inflight_calls", absl::StrCat(inflight_.count())}});
  }
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  server_.reset();
  admin_.reset();
  logger_->Info("stopped");
}

}  // namespace gateway::app
