// The services' way to Databricks: send one ApiRequest through a route and read the JSON
// answer, and the shape of a unary method that is one such request.
#ifndef SERVER_SERVICES_REST_H_
#define SERVER_SERVICES_REST_H_

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/common/json.h"
#include "server/databricks/api.h"
#include "server/services/calls.h"
#include "server/services/route.h"

namespace gateway::services {

using BodyCallback = std::function<void(absl::StatusOr<json::Value>)>;

// Sends `request` with the route's credential within `deadline`; `done` runs once, on an
// upstream thread, with the parsed 2xx body or the error (from the Databricks error table,
// or the gateway's own refusals).
void SendApi(const Route& route, databricks::ApiRequest request, absl::Time deadline,
             BodyCallback done);

// Routes `context`'s call to `method` ("Service/Method"), then runs
// `then(route, request)` with a copy of `request`: routing may end after gRPC has let go of
// the original (a global rate limit answers from Redis' thread). A refusal, or a caller
// that cancelled meanwhile, finishes `call` instead.
template <typename CallPtr, typename Request, typename Then>
void Routed(Router& router, const grpc::CallbackServerContext& context, absl::string_view method,
            CallPtr call, const Request& request, Then then) {
  auto copy = std::make_shared<const Request>(request);
  call->audit().Begin(router.audit_sink(), method, context);
  router.RouteCall(context, method,
                   [call, copy, then = std::move(then)](
                       absl::StatusOr<std::shared_ptr<const Route>> route) mutable {
                     if (!route.ok()) {
                       call->audit().Refused(route.status());
                       call->Finish(route.status());
                       return;
                     }
                     call->audit().Routed(*route, *copy);
                     if (call->finished()) return;
                     if ((*route)->dry_run() != nullptr) call->SetDryRun((*route)->dry_run());
                     then(*std::move(route), *copy);
                   });
}

// A unary method that is one REST request: route the call, build the request from the
// route and the caller's request (handles decode against the route), send it, parse the
// answer into the response.
//   build: (const Route&, const Request&) -> absl::StatusOr<databricks::ApiRequest>
//   parse: (const Route&, const json::Value&, Response*) -> absl::Status
template <typename Request, typename Response, typename Build, typename Parse>
grpc::ServerUnaryReactor* ProxyUnary(Router& router, grpc::CallbackServerContext* context,
                                     absl::string_view method, const Request* request,
                                     Response* response, Build build, Parse parse) {
  std::shared_ptr<UnaryCall<Response>> call = UnaryCall<Response>::Start(context, response);
  Routed(router, *context, method, call, *request,
         [call, build = std::move(build), parse = std::move(parse)](
             const std::shared_ptr<const Route>& route, const Request& request) {
           absl::StatusOr<databricks::ApiRequest> api = build(*route, request);
           if (!api.ok()) {
             call->Finish(api.status());
             return;
           }
           SendApi(*route, *std::move(api), call->deadline(),
                   [call, route, parse](absl::StatusOr<json::Value> body) {
                     if (!body.ok()) {
                       call->Finish(body.status());
                       return;
                     }
                     Response out;
                     absl::Status parsed = parse(*route, *body, &out);
                     if (!parsed.ok()) {
                       call->Finish(parsed);
                       return;
                     }
                     call->Finish(std::move(out));
                   });
         });
  return call->reactor();
}

}  // namespace gateway::services

#endif  // SERVER_SERVICES_REST_H_
