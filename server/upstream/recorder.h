// Recording of upstream exchanges: every HTTP request the gateway sends to Databricks (its
// API, its token endpoints, result links) and what came back, appended to a JSON-lines file
// that the emulator can replay (`databricks_emulator --replay=FILE`, docs/emulator.md).
//
// One line per exchange, written when it ends:
//   {"seq": 12, "ts": "2026-11-21T07:00:00.123Z", "workspace": "default",
//    "request": {"method": "POST", "url": "https://<workspace-host>/api/2.2/jobs/runs/submit",
//                "headers": {...}, "body": {...} or "text"},
//    "response": {"status": 200, "headers": {...}, "body": {...} or "text"},
//    "error": "…" (instead of "response" when there was none), "duration_ms": 12.5}
// `seq` numbers requests in the order they were sent. Nothing secret is written: the
// Authorization header and other credential headers, JSON fields and form fields named
// like credentials (and those configured), token shapes and every configured secret
// (`scrub`) are replaced by "[REDACTED]". A presigned result link is a credential in its
// query string, so every query value of a URL that is not one of Databricks' REST or
// token endpoints, and of every URL inside a body, is redacted, as are the values of an
// answer's `http_headers` (the headers a link is fetched with). Replay matches a redacted
// query value with any value.
#ifndef SERVER_UPSTREAM_RECORDER_H_
#define SERVER_UPSTREAM_RECORDER_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/json.h"
#include "server/upstream/http_client.h"
#include "server/upstream/options.h"

namespace gateway::upstream {

// Appends exchanges to the file, rotating it. Thread-safe.
class ExchangeRecorder {
 public:
  using Scrubber = std::function<std::string(absl::string_view)>;

  // Opens `options.path` for appending. `scrub` removes the gateway's configured secrets
  // from text (the log's redaction).
  static absl::StatusOr<std::unique_ptr<ExchangeRecorder>> Open(RecordOptions options,
                                                                Scrubber scrub);
  ~ExchangeRecorder();

  // The number of the next request sent (the "seq" of its line).
  int64_t NextSeq();
  // Writes one exchange; `result` is the response or the transport error.
  void Write(int64_t seq, absl::string_view workspace, const HttpRequest& request,
             const absl::StatusOr<HttpResponse>& result, absl::Time sent, absl::Duration took)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The redacted form of a body (JSON, form-encoded or text) and of a URL; for tests.
  json::Value RedactBody(absl::string_view body, absl::string_view content_type) const;
  std::string RedactUrl(absl::string_view url) const;

 private:
  // `link`: every query value is redacted, not only those named like credentials.
  std::string RedactUrl(absl::string_view url, bool link) const;
  ExchangeRecorder(RecordOptions options, Scrubber scrub, std::FILE* file, int64_t size);

  bool Sensitive(absl::string_view field) const;
  json::Value RedactJson(json::Value value) const;
  json::Value HeaderObject(const upstream::Headers& headers) const;
  void RotateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RecordOptions options_;
  const Scrubber scrub_;
  std::set<std::string> sensitive_;  // lower case
  absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_);
  int64_t size_ ABSL_GUARDED_BY(mu_);
  int64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
};

// An HttpClient that records every exchange of the one it wraps.
class RecordingHttpClient final : public HttpClient {
 public:
  RecordingHttpClient(std::unique_ptr<HttpClient> inner, std::shared_ptr<ExchangeRecorder> recorder,
                      std::string workspace)
      : inner_(std::move(inner)),
        recorder_(std::move(recorder)),
        workspace_(std::move(workspace)) {}

  void Send(HttpRequest request, HttpCallback done) override;
  void RunAfter(absl::Duration delay, std::function<void()> fn) override {
    inner_->RunAfter(delay, std::move(fn));
  }

 private:
  std::unique_ptr<HttpClient> inner_;
  const std::shared_ptr<ExchangeRecorder> recorder_;
  const std::string workspace_;
};

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_RECORDER_H_
