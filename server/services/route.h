// Where one gRPC call goes: the workspace, the credential pool, the caller's defaults, what
// the caller may touch, and the handles it may hold.
//
// A Router turns an incoming call into a Route: it identifies the tenant, checks its
// access to the method and its rate limits. The services only ever see a Route; they ask
// it about the warehouses and schemas a call touches, and turn Databricks ids into the
// caller's handles and back.
#ifndef SERVER_SERVICES_ROUTE_H_
#define SERVER_SERVICES_ROUTE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/audit/audit.h"
#include "server/auth/tenants.h"
#include "server/ratelimit/limiter.h"
#include "server/services/dry_run.h"
#include "server/upstream/authorizer.h"
#include "server/upstream/workspace_client.h"

namespace gateway::services {

// Defaults for calls that name no warehouse, catalog or schema.
struct Defaults {
  std::string warehouse_id;
  std::string catalog;
  std::string schema;
};

// Who is calling. A gateway without tenants has an anonymous caller: empty name, no
// access rules (everything allowed), no signer (handles are the raw ids).
struct Caller {
  std::string tenant;
  // The tenant's weight in each workspace budget's fair shares (tenants[].weight).
  double weight = 1;
  std::shared_ptr<const auth::AccessPolicy> access;
  std::shared_ptr<const auth::HandleSigner> signer;
};

// What paces a call's later upstream requests: the tenant's quota and the call's method.
struct Pacing {
  std::shared_ptr<const ratelimit::TenantQuota> quota;
  std::string method;
};

// Immutable after construction; thread-safe. Shared by the asynchronous steps of a call;
// the call's concurrency slot (`permit`) is held until the last step lets go of it.
class Route {
 public:
  // `client` is not owned and outlives every call (the app destroys clients after the gRPC
  // server stopped). `credentials` grants each upstream attempt its Authorization. A route
  // in `dry_run` sends nothing upstream (server/services/dry_run.h).
  Route(upstream::WorkspaceClient* client, std::shared_ptr<upstream::Authorizer> credentials,
        Defaults defaults, Caller caller, ratelimit::Permit permit = {}, bool dry_run = false,
        Pacing pacing = {})
      : client_(client),
        credentials_(std::move(credentials)),
        defaults_(std::move(defaults)),
        caller_(std::move(caller)),
        permit_(std::move(permit)),
        dry_run_(dry_run ? std::make_shared<DryRunLog>() : nullptr),
        pacing_(std::move(pacing)) {}

  // Sends `call` with a credential of the route's pool; `done` runs once on an upstream
  // thread. In a dry run it records the call and answers DryRunStop() instead.
  void Send(upstream::Call call, upstream::CallCallback done) const {
    if (dry_run_ != nullptr) {
      NotSent(call, std::move(done));
      return;
    }
    upstream_requests_.fetch_add(1, std::memory_order_relaxed);
    call.authorizer = credentials_;
    call.tenant = caller_.tenant;
    call.weight = caller_.weight;
    client_->Send(std::move(call), std::move(done));
  }

  // Runs `then` when the tenant's rate allows one more upstream request of this call: a
  // poll or a wait after the call was admitted counts toward the tenant's quota like a
  // call (without another concurrency slot, which the call already holds). At once without
  // tenants, in a dry run, or when the rule has no rate. While it waits, `stopped` is asked
  // whether the call is over; then `then` never runs and the wait ends.
  void Pace(std::function<void()> then, std::function<bool()> stopped) const;

  // Upstream requests the call has sent so far (its audit record).
  int64_t upstream_requests() const { return upstream_requests_.load(std::memory_order_relaxed); }

  // Fetches a presigned result link: no credential (cloud storage refuses one), the
  // headers Databricks listed, and the same deadline, breaker and retries as other calls.
  void Download(std::string url, upstream::Headers headers, absl::Time deadline,
                upstream::CallCallback done) const {
    upstream::Call call;
    call.url = std::move(url);
    call.headers = std::move(headers);
    call.deadline = deadline;
    call.operation = "sql.results.download";
    call.idempotent = true;
    if (dry_run_ != nullptr) {
      NotSent(call, std::move(done));
      return;
    }
    upstream_requests_.fetch_add(1, std::memory_order_relaxed);
    client_->Send(std::move(call), std::move(done));
  }

  // Runs `fn` on an upstream thread after `delay` (poll back-off).
  void RunAfter(absl::Duration delay, std::function<void()> fn) const {
    client_->RunAfter(delay, std::move(fn));
  }

  // The requests of a call in dry run; null when the call is not one.
  const std::shared_ptr<DryRunLog>& dry_run() const { return dry_run_; }

  const Defaults& defaults() const { return defaults_; }
  // The tenant's name; empty without tenants.
  const std::string& tenant() const { return caller_.tenant; }

  // The tenant's access rules (OK without tenants). Errors: PERMISSION_DENIED naming the
  // rule.
  absl::Status CheckWarehouse(absl::string_view warehouse_id) const;
  absl::Status CheckSchema(absl::string_view catalog, absl::string_view schema) const;
  absl::Status CheckCatalog(absl::string_view catalog) const;
  bool SchemaAllowed(absl::string_view catalog, absl::string_view schema) const;
  // Every Databricks secret reference ({{secrets/SCOPE/KEY}}) among `values` names a scope
  // the tenant may use (access.secret_scopes). Errors: PERMISSION_DENIED naming the scope.
  absl::Status CheckSecretReferences(
      const google::protobuf::Map<std::string, std::string>& values) const;
  // Whether the schema rules allow every schema (always without tenants).
  bool AllSchemasAllowed() const;
  // PERMISSION_DENIED for a storage path named in `field`, which no schema rule covers
  // (OK without tenants).
  absl::Status DenyPath(absl::string_view field, absl::string_view path) const;
  // A storage path named in `field` under the schema rules: a Unity Catalog volume path
  // (/Volumes/CATALOG/SCHEMA/VOLUME/…, optionally dbfs:) is in its schema; any other path,
  // or one with '.', '..', '%' or '\\' segments, is refused. OK when every schema is allowed.
  absl::Status CheckPath(absl::string_view field, absl::string_view path) const;
  // SQL text under the schema rules: every table and function it names (databricks/sql_refs.h),
  // unqualified names resolved in `catalog` and `schema`, is in an allowed schema, and it
  // holds nothing the reader cannot name. OK at once when every schema is allowed (the
  // pool's grants are the boundary). Errors: INVALID_ARGUMENT "`field`: …" for text the
  // reader cannot read; PERMISSION_DENIED naming the table, function or construct.
  absl::Status CheckSql(absl::string_view sql, absl::string_view catalog, absl::string_view schema,
                        absl::string_view field) const;
  bool CatalogAllowed(absl::string_view catalog) const;

  // A caller's idempotency token as sent to Databricks: the tenant's own, so equal tokens
  // of two tenants never meet in one workspace (as given without tenants).
  std::string IdempotencyToken(absl::string_view given) const;
  // The workspace's name, a metric label.
  const std::string& workspace() const { return client_->options().name; }
  // The longest one upstream request may take (the workspace's timeout_seconds).
  absl::Duration upstream_timeout() const {
    return absl::Seconds(client_->options().timeout_seconds);
  }
  // The workspace notebook SubmitStreamingRun runs.
  const std::string& streaming_notebook_path() const {
    return client_->options().streaming_notebook_path;
  }

  // Handles given to the caller for Databricks run and statement ids, and back: signed for
  // the tenant. A handle that is malformed or another tenant's is NOT_FOUND naming it.
  std::string RunHandle(int64_t run_id) const;
  absl::StatusOr<int64_t> RunId(absl::string_view handle) const;
  std::string StatementHandle(absl::string_view statement_id) const;
  absl::StatusOr<std::string> StatementId(absl::string_view handle) const;

 private:
  void NotSent(const upstream::Call& call, upstream::CallCallback done) const;

  upstream::WorkspaceClient* const client_;
  const std::shared_ptr<upstream::Authorizer> credentials_;
  const Defaults defaults_;
  const Caller caller_;
  ratelimit::Permit permit_;
  const std::shared_ptr<DryRunLog> dry_run_;
  const Pacing pacing_;
  mutable std::atomic<int64_t> upstream_requests_{0};
};

using RouteCallback = std::function<void(absl::StatusOr<std::shared_ptr<const Route>>)>;

class Router {
 public:
  virtual ~Router() = default;
  // Routes `context`'s call to `method` ("Service/Method"): identifies the caller, checks
  // its access to the method and its rate limits. `done` runs exactly once, inline or on
  // another thread (a global limit's store); `context` is read before RouteCall returns.
  // Errors are the call's status: UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED,
  // UNAVAILABLE (nothing to route to).
  virtual void RouteCall(const grpc::CallbackServerContext& context, absl::string_view method,
                         RouteCallback done) = 0;
  // Where every call's audit record goes (server/audit/audit.h); null: nowhere.
  virtual audit::Sink* audit_sink() const = 0;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_ROUTE_H_
