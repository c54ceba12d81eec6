// The seam between upstream calls and the credentials they are made with: each attempt of
// a call asks for a grant (the Authorization header of one credential) and reports how the
// attempt went, so a credential pool can spread load, eject a rejected one, and have the
// call retried on another.
#ifndef SERVER_UPSTREAM_AUTHORIZER_H_
#define SERVER_UPSTREAM_AUTHORIZER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace gateway::upstream {

class Authorizer {
 public:
  struct Grant {
    // The Authorization header value ("Bearer …").
    std::string authorization;
    // Which credential, for Report.
    int credential = -1;
    // The operation it was acquired for ("jobs.runs.get"), for Report.
    std::string operation;
  };

  enum class Outcome {
    kSuccess,
    // Databricks refused the credential itself (401, or 403 about the token): it acted on
    // nothing, so the call may be sent again with another credential.
    kRejected,
    // Anything else, a 429 included (Databricks limits endpoints, which the workspace's
    // budget paces): a failure that says nothing about the credential.
    kOther,
  };

  virtual ~Authorizer() = default;

  // A grant for one attempt of `operation` (the endpoint's metric name, "jobs.runs.get").
  // Errors: UNAVAILABLE when no credential can serve, with RetryInfo saying when the
  // first is back when that is known.
  virtual absl::StatusOr<Grant> Acquire(const std::string& operation) = 0;

  // How the attempt made with `grant` ended. Returns whether another credential is usable
  // now, so a rejected call may be retried.
  virtual bool Report(const Grant& grant, Outcome outcome) = 0;
};

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_AUTHORIZER_H_
