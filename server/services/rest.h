// The services' way to Databricks: send one ApiRequest through a route and read the JSON
// answer, and the shape of a unary method that is one such request.
#ifndef SERVER_SERVICES_REST_H_
#define SERVER_SERVICES_REST_H_

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
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

// A unary method that is one REST request: route the call, build the request from the
// route (handles decode against it), send it, parse the answer into the response.
template <typename Response>
grpc::ServerUnaryReactor* ProxyUnary(
    Router& router, grpc::CallbackServerContext* context, Response* response,
    std::function<absl::StatusOr<databricks::ApiRequest>(const Route&)> build,
    std::function<absl::Status(const Route&, const json::Value&, Response*)> parse) {
  std::shared_ptr<UnaryCall<Response>> call = UnaryCall<Response>::Start(context, response);
  absl::StatusOr<std::shared_ptr<const Route>> route = router.RouteCall(*context);
  if (!route.ok()) {
    call->Finish(route.status());
    return call->reactor();
  }
  absl::StatusOr<databricks::ApiRequest> request = build(**route);
  if (!request.ok()) {
    call->Finish(request.status());
    return call->reactor();
  }
  SendApi(**route, *std::move(request), call->deadline(),
          [call, route = *route, parse = std::move(parse)](absl::StatusOr<json::Value> body) {
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
  return call->reactor();
}

}  // namespace gateway::services

#endif  // SERVER_SERVICES_REST_H_
