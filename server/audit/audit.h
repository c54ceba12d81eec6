// The audit trail: one record for every gRPC call, allowed or refused, written when its
// status is known, to a sink of its own that the log level cannot silence.
//
// A record says who called (tenant), what (method, and the objects the request names:
// tables, run, job and statement ids, warehouses, the tables in its SQL text), how it ended
// (gRPC code, the ErrorInfo reason, the message), what it cost (upstream requests made,
// duration), whether it was a dry run, and how to find it again (the caller's W3C trace id,
// and a request id the caller gets back as `x-request-id` trailing metadata).
//
// Nothing secret is written: handles are written as the Databricks id before their MAC,
// messages pass through the log's redaction, and no request body, parameter value or
// credential is read.
#ifndef SERVER_AUDIT_AUDIT_H_
#define SERVER_AUDIT_AUDIT_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace gateway::audit {

struct Record {
  absl::Time time;         // when the call ended
  std::string request_id;  // also the call's `x-request-id` trailing metadata
  std::string trace_id;    // from the caller's `traceparent`; empty when none or malformed
  std::string tenant;      // empty when the caller was not identified, or without tenants
  std::string method;      // "JobsService/GetRun"
  // "table:main.sales.orders", "run:123", "job:5", "statement:01ef…", "warehouse:wh1",
  // "path:/Volumes/…", in the order found, without repeats; at most 64, then "…".
  std::vector<std::string> objects;
  std::string code;     // "OK", "PERMISSION_DENIED", …
  std::string reason;   // the status' ErrorInfo reason; empty when none
  std::string message;  // the status message, redacted; empty when OK
  int64_t upstream_requests = 0;
  double duration_ms = 0;
  bool dry_run = false;
};

// Where records go. Thread-safe.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Write(const Record& record) = 0;
};

// One JSON object per line, flushed per line:
//   {"type":"audit","ts":"2026-12-02T14:00:00.123Z","request_id":"…","trace_id":"…",
//    "tenant":"…","method":"…","objects":[…],"code":"OK","reason":"","message":"",
//    "upstream_requests":1,"duration_ms":12.5,"dry_run":false}
class JsonLinesSink final : public Sink {
 public:
  // `path` "-" is standard output; a file is opened for appending. `scrub` redacts text
  // (the logger's redaction). Errors: INVALID_ARGUMENT naming the path when it cannot be
  // opened.
  static absl::StatusOr<std::unique_ptr<JsonLinesSink>> Open(
      const std::string& path, std::function<std::string(absl::string_view)> scrub);
  ~JsonLinesSink() override;

  void Write(const Record& record) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  JsonLinesSink(std::FILE* file, bool owned, std::function<std::string(absl::string_view)> scrub)
      : file_(file), owned_(owned), scrub_(std::move(scrub)) {}

  absl::Mutex mu_;
  std::FILE* const file_;
  const bool owned_;
  const std::function<std::string(absl::string_view)> scrub_;
};

// The trace id of a W3C `traceparent` ("00-<32 hex>-<16 hex>-<2 hex>"); empty when the
// value is not one or its trace id is all zeros.
std::string TraceIdOf(absl::string_view traceparent);

// 32 random hex digits.
std::string NewRequestId();

// Adds the objects `message` names, read by reflection: TableName messages, fields named
// run_id, job_id, statement_id (a handle's id before its MAC), warehouse_id, id (of a
// warehouse request), parquet_path, checkpoint_location, a file source's path, and the
// tables and functions in fields named statement or query (server/databricks/sql_refs.h).
// `nested`: also inside sub-messages and repeated fields (a request); a response is read
// at its top level only (ListRuns would name every run).
void AddObjectsOf(const google::protobuf::Message& message, bool nested,
                  std::vector<std::string>* objects);

}  // namespace gateway::audit

#endif  // SERVER_AUDIT_AUDIT_H_
