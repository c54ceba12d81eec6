#include "server/app/router.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/error_details.h"

namespace gateway::app {
namespace {

constexpr char kDefault[] = "default";

// The verified client-certificate identities of a TLS call: subject CN and SANs.
std::vector<std::string> PeerIdentities(const grpc::CallbackServerContext& context) {
  std::vector<std::string> identities;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return identities;
  for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      identities.emplace_back(value.data(), value.size());
    }
  }
  return identities;
}

std::optional<std::string> Metadata(const grpc::CallbackServerContext& context, const char* name) {
  const auto& metadata = context.client_metadata();
  auto found = metadata.find(name);
  if (found == metadata.end()) return std::nullopt;
  return std::string(found->second.data(), found->second.size());
}

}  // namespace

std::shared_ptr<credentials::CredentialPool> TenantRouter::Pool(
    const credentials::CredentialPoolOptions& options, const EnvReader& env) {
  if (table_ != nullptr) {
    auto kept = table_->pools.find(options.name);
    if (kept != table_->pools.end() && kept->second->options() == options) return kept->second;
  }
  auto client = clients_.find(options.workspace);
  if (client == clients_.end()) return nullptr;  // added by a reload: used after a restart
  credentials::CredentialPool::Environment environment;
  environment.http = &client->second->http();
  environment.workspace_host = client->second->options().host;
  environment.env = env;
  environment.logger = logger_;
  environment.metrics = credential_metrics_;
  return credentials::CredentialPool::Start(options, std::move(environment));
}

TenantRouter::Tenant TenantRouter::MakeTenant(const std::string& name, const std::string& pool_name,
                                              const Table& table,
                                              const config::GatewayConfig& config) const {
  Tenant tenant;
  tenant.caller.tenant = name;
  auto pool = table.pools.find(pool_name);
  if (pool == table.pools.end() || pool->second == nullptr) {
    tenant.unavailable = absl::UnavailableError(absl::StrCat(
        "credential pool '", pool_name,
        "' cannot be used: its workspace was added by a reload and is used after a restart"));
    return tenant;
  }
  tenant.pool = pool->second;
  const std::string& workspace = tenant.pool->options().workspace;
  tenant.client = clients_.at(workspace);
  for (const upstream::WorkspaceOptions& w : config.workspaces) {
    if (w.name == workspace) {
      tenant.defaults = {w.default_warehouse_id, w.default_catalog, w.default_schema};
    }
  }
  return tenant;
}

void TenantRouter::Update(const config::GatewayConfig& config, const EnvReader& env) {
  auto table = std::make_shared<Table>(config.tenants);
  absl::MutexLock lock(&mu_);
  for (const credentials::CredentialPoolOptions& options : config.credential_pools) {
    table->pools[options.name] = Pool(options, env);
  }
  std::shared_ptr<const auth::HandleSigner> signer;
  absl::Status no_signer;
  if (config.has_handle_signing_key) {
    absl::StatusOr<std::string> key = ReadSecret(config.handle_signing_key, env);
    if (key.ok() && key->size() < config::kMinSigningKeyBytes) {
      // A secret file rewritten since the configuration was validated.
      no_signer = absl::UnavailableError(
          absl::StrCat("security.handle_signing_key: ", config::SigningKeyTooShort(key->size())));
    } else if (key.ok()) {
      signer = std::make_shared<auth::HandleSigner>(*std::move(key));
    } else {
      no_signer = absl::UnavailableError(
          absl::StrCat("security.handle_signing_key: ", key.status().message()));
    }
  }
  if (config.tenants.empty()) {
    table->anonymous = true;
    std::string pool = config.credential_pools.empty() ? "" : config.credential_pools[0].name;
    if (table->pools.count(kDefault) != 0) pool = kDefault;
    table->tenants.push_back(MakeTenant("", pool, *table, config));
    if (logger_ != nullptr) {
      logger_->Warn(
          "no tenants are configured: every caller is served without an API key, limits or "
          "signed handles, with credential pool '" +
          pool + "'");
    }
  }
  for (const auth::TenantOptions& options : config.tenants) {
    Tenant tenant = MakeTenant(options.name, options.credential_pool, *table, config);
    tenant.caller.access = std::make_shared<auth::AccessPolicy>(options.name, options.access);
    tenant.caller.signer = signer;
    tenant.caller.weight = options.weight;
    if (signer == nullptr && tenant.unavailable.ok()) {
      tenant.unavailable = no_signer.ok()
                               ? absl::UnavailableError("security.handle_signing_key is not set")
                               : no_signer;
    }
    tenant.quota = limiter_->Build(options.name, options.quota, config.redis.replica_count);
    tenant.dry_run = options.dry_run;
    table->tenants.push_back(std::move(tenant));
  }
  table_ = std::move(table);
}

void TenantRouter::RouteCall(const grpc::CallbackServerContext& context, absl::string_view method,
                             services::RouteCallback done) {
  std::shared_ptr<const Table> table;
  {
    absl::MutexLock lock(&mu_);
    table = table_;
  }
  if (table == nullptr) {
    done(absl::UnavailableError("the gateway has no configuration yet"));
    return;
  }
  absl::StatusOr<bool> dry_run =
      services::ParseDryRunHeader(Metadata(context, services::kDryRunHeader));
  if (!dry_run.ok()) {
    done(dry_run.status());
    return;
  }
  size_t index = 0;
  if (!table->anonymous) {
    auth::Credentials credentials;
    credentials.authorization = Metadata(context, "authorization");
    credentials.api_key = Metadata(context, "x-api-key");
    credentials.peer_identities = PeerIdentities(context);
    std::string reason;
    absl::StatusOr<size_t> identified = table->authenticator.Identify(credentials, &reason);
    if (!identified.ok()) {
      tenant_metrics_->AuthRefused(reason).Increment();
      done(identified.status());
      return;
    }
    index = *identified;
  }
  const Tenant& tenant = table->tenants[index];
  if (tenant.caller.access != nullptr) {
    absl::Status allowed = tenant.caller.access->CheckMethod(method);
    if (!allowed.ok()) {
      tenant_metrics_->AccessDenied(tenant.caller.tenant, "methods").Increment();
      done(allowed);
      return;
    }
  }
  if (!tenant.unavailable.ok()) {
    done(tenant.unavailable);
    return;
  }
  // The tenant's setting wins: `x-dry-run: false` cannot make a dry-run tenant's call real.
  auto route = [table, &tenant, dry_run = *dry_run || tenant.dry_run,
                method = std::string(method)](ratelimit::Permit permit) {
    return std::make_shared<const services::Route>(tenant.client, tenant.pool, tenant.defaults,
                                                   tenant.caller, std::move(permit), dry_run,
                                                   services::Pacing{tenant.quota, method});
  };
  if (tenant.quota == nullptr) {
    done(route(ratelimit::Permit()));
    return;
  }
  // `table` keeps `tenant` alive until the decision.
  tenant.quota->Admit(method, [table, route = std::move(route),
                               done = std::move(done)](absl::StatusOr<ratelimit::Permit> permit) {
    if (!permit.ok()) {
      done(permit.status());
      return;
    }
    done(route(*std::move(permit)));
  });
}

std::string TenantRouter::NotReadyReason() const {
  std::shared_ptr<const Table> table;
  {
    absl::MutexLock lock(&mu_);
    table = table_;
  }
  if (table == nullptr) return "no configuration";
  std::vector<std::string> reasons;
  for (const auto& [name, pool] : table->pools) {
    if (pool == nullptr) continue;
    const std::string reason = pool->NotUsableReason();
    if (!reason.empty()) reasons.push_back(absl::StrCat("credential pool '", name, "': ", reason));
  }
  return absl::StrJoin(reasons, "; ");
}

}  // namespace gateway::app
