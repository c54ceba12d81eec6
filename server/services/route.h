// Where one gRPC call goes: the workspace, the Databricks credential, the caller's defaults,
// and the handles the caller may hold.
//
// A Router turns an incoming call into a Route. Until tenancy (auth, access rules, rate
// limits, credential pools) is in place, the app's router sends every call to one workspace
// with one credential; the services only ever see a Route, so tenancy changes the router and
// the route's internals, not the services.
#ifndef SERVER_SERVICES_ROUTE_H_
#define SERVER_SERVICES_ROUTE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/upstream/workspace_client.h"

namespace gateway::services {

// Defaults for calls that name no warehouse, catalog or schema.
struct Defaults {
  std::string warehouse_id;
  std::string catalog;
  std::string schema;
};

// Immutable after construction; thread-safe. Shared by the asynchronous steps of a call.
class Route {
 public:
  // `client` is not owned and outlives every call (the app destroys clients after the gRPC
  // server stopped). `authorization` is the Authorization header value, e.g. "Bearer …".
  // `caller` names the caller in derived idempotency tokens ("" for a single-tenant gateway).
  Route(upstream::WorkspaceClient* client, std::string authorization, Defaults defaults,
        std::string caller)
      : client_(client),
        authorization_(std::move(authorization)),
        defaults_(std::move(defaults)),
        caller_(std::move(caller)) {}

  // Sends `call` with the route's credential; `done` runs once on an upstream thread.
  void Send(upstream::Call call, upstream::CallCallback done) const {
    call.headers.emplace_back("Authorization", authorization_);
    client_->Send(std::move(call), std::move(done));
  }

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
    client_->Send(std::move(call), std::move(done));
  }

  // Runs `fn` on an upstream thread after `delay` (poll back-off).
  void RunAfter(absl::Duration delay, std::function<void()> fn) const {
    client_->RunAfter(delay, std::move(fn));
  }

  const Defaults& defaults() const { return defaults_; }
  const std::string& caller() const { return caller_; }
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

  // Handles given to the caller for Databricks run and statement ids, and back. A handle
  // that is malformed (or, with tenancy, not the caller's) is NOT_FOUND naming it.
  std::string RunHandle(int64_t run_id) const;
  absl::StatusOr<int64_t> RunId(absl::string_view handle) const;
  std::string StatementHandle(absl::string_view statement_id) const;
  absl::StatusOr<std::string> StatementId(absl::string_view handle) const;

 private:
  upstream::WorkspaceClient* const client_;
  const std::string authorization_;
  const Defaults defaults_;
  const std::string caller_;
};

class Router {
 public:
  virtual ~Router() = default;
  // The route for `context`'s call. Errors are the call's status (UNAVAILABLE when no
  // workspace is configured; with tenancy UNAUTHENTICATED, PERMISSION_DENIED, …).
  virtual absl::StatusOr<std::shared_ptr<const Route>> RouteCall(
      const grpc::CallbackServerContext& context) = 0;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_ROUTE_H_
