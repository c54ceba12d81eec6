#include "server/services/rest.h"

#include <string>

namespace gateway::services {

void SendApi(const Route& route, databricks::ApiRequest request, absl::Time deadline,
             BodyCallback done) {
  upstream::Call call;
  call.method = request.method;
  call.path = std::move(request.path);
  if (!request.body.is_null()) call.body = request.body.Dump();
  call.deadline = deadline;
  call.operation = request.operation;
  call.idempotent = request.idempotent;
  route.Send(std::move(call), [operation = std::move(request.operation),
                               done = std::move(done)](absl::StatusOr<upstream::HttpResponse> r) {
    if (!r.ok()) {
      done(r.status());
      return;
    }
    done(databricks::ParseResponseBody(operation, r->body));
  });
}

}  // namespace gateway::services
