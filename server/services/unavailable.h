// Answers for API methods that this build does not serve yet: UNIMPLEMENTED with a
// message naming the method, so callers see exactly what is missing.
#ifndef SERVER_SERVICES_UNAVAILABLE_H_
#define SERVER_SERVICES_UNAVAILABLE_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"

namespace gateway::services {

inline grpc::Status NotServedStatus(absl::string_view method) {
  return grpc::Status(
      grpc::StatusCode::UNIMPLEMENTED,
      absl::StrCat("databricks.gateway.v1.", method,
                   " is part of the API but this gateway build does not serve it yet"));
}

// Finishes a unary call with NotServedStatus.
inline grpc::ServerUnaryReactor* NotServed(grpc::CallbackServerContext* context,
                                           absl::string_view method) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(NotServedStatus(method));
  return reactor;
}

// Finishes a server-streaming call with NotServedStatus; deletes itself when done.
template <typename Response>
class NotServedWriter final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit NotServedWriter(absl::string_view method) { this->Finish(NotServedStatus(method)); }
  void OnDone() override { delete this; }
};

template <typename Response>
grpc::ServerWriteReactor<Response>* NotServedStream(absl::string_view method) {
  return new NotServedWriter<Response>(method);
}

}  // namespace gateway::services

#endif  // SERVER_SERVICES_UNAVAILABLE_H_
