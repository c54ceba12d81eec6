// Replay of a recording made by the gateway (`record:`, server/upstream/recorder.h): the
// emulator answers each request with the response recorded for the same request, so a
// session seen against a real workspace can be reproduced offline.
//
// Matching: a request matches a recorded one with the same method and path, the same query
// parameters and an equal JSON body, where a recorded "[REDACTED]" matches any value, and
// the values the gateway makes up per call (an `idempotency_token` it generated, "gw-…",
// and a statement's `wait_timeout`) match any value. Recorded exchanges are used in the
// order they were sent; once every exchange of a request was used, the last one answers
// again (a poll that ran longer than when recorded). An exchange the gateway's HTTP client
// had to send twice (`wire_attempts`: its reused connection was closed under it) first has
// its connection reset, as it was. A request that matches nothing is
// answered 400 REPLAY_NO_MATCH naming the closest recorded request. A recorded transport
// error is replayed as a connection reset.
//
// The recorded workspace origins (scheme://host:port) in response bodies become the
// replaying emulator's, so result links lead back to it. Each answer comes as late as it
// came when recorded (the exchange's duration_ms), so deadlines, polls and waits play out
// as they did.
#ifndef TESTS_EMULATOR_REPLAY_H_
#define TESTS_EMULATOR_REPLAY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/json.h"
#include "server/http/server.h"

namespace emulator {

class Replay {
 public:
  // Reads a recording (JSON lines; rotated files are replayed one at a time). Errors name
  // the file and the line.
  static absl::StatusOr<std::unique_ptr<Replay>> Load(const std::string& path);

  // The recorded answer to `request` (`base_url` is this emulator's), and how long after the
  // request it was recorded: zero for an unmatched request.
  struct Replayed {
    gateway::http::Response response;
    absl::Duration took;
  };
  Replayed Answer(const gateway::http::Request& request, const std::string& base_url)
      ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const { return exchanges_.size(); }

 private:
  struct Exchange {
    int64_t seq = 0;
    std::string method;
    std::string path;                                        // without the query
    std::vector<std::pair<std::string, std::string>> query;  // in order
    gateway::json::Value body;                               // null: none
    bool transport_error = false;
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string response_body;
    absl::Duration took;    // duration_ms
    int wire_attempts = 1;  // the first wire_attempts - 1 are answered with a reset
  };

  static bool Matches(const Exchange& exchange, const gateway::http::Request& request,
                      const gateway::json::Value& body);
  static std::string Describe(const Exchange& exchange);

  std::vector<Exchange> exchanges_;   // in seq order
  std::vector<std::string> origins_;  // of the recorded requests
  absl::Mutex mu_;
  std::vector<bool> used_ ABSL_GUARDED_BY(mu_);
  std::vector<int> resets_ ABSL_GUARDED_BY(mu_);  // connections reset per exchange
};

}  // namespace emulator

#endif  // TESTS_EMULATOR_REPLAY_H_
