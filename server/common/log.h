// Structured JSON logging with secret redaction.
//
// One JSON object per line: {"ts":"2026-11-20T10:00:00.123Z","level":"info","msg":"…",
// <fields>}. Every line passes through redaction first: registered secret values, and
// anything shaped like a Databricks token ("dapi…") or a bearer credential, become
// "[REDACTED]". Thread-safe.
#ifndef SERVER_COMMON_LOG_H_
#define SERVER_COMMON_LOG_H_

#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace gateway {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn", "error" → level. INVALID_ARGUMENT otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

// Replaces secrets in text. Holds the registered secret values; never prints them.
class Redactor {
 public:
  // Registers a value that must never appear in output. Values shorter than 4 characters
  // are ignored (they would redact ordinary words).
  void AddSecret(std::string value);
  // `text` with every registered secret, "dapi<hex>" token and "Bearer <credential>"
  // replaced by "[REDACTED]".
  std::string Redact(absl::string_view text) const;

 private:
  std::vector<std::string> secrets_;
};

using LogField = std::pair<absl::string_view, absl::string_view>;

class Logger {
 public:
  // `out` is not owned and must outlive the logger.
  Logger(std::ostream* out, LogLevel min_level) : out_(out), min_level_(min_level) {}

  void SetLevel(LogLevel level) ABSL_LOCKS_EXCLUDED(mu_);
  void AddSecret(std::string value) ABSL_LOCKS_EXCLUDED(mu_);
  // `text` as a log line would print it: registered secrets and token shapes redacted.
  std::string Redact(absl::string_view text) const ABSL_LOCKS_EXCLUDED(mu_);

  void Log(LogLevel level, absl::string_view msg, std::initializer_list<LogField> fields = {})
      ABSL_LOCKS_EXCLUDED(mu_);
  void Debug(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(absl::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }

 private:
  std::ostream* const out_;
  mutable absl::Mutex mu_;
  LogLevel min_level_ ABSL_GUARDED_BY(mu_);
  Redactor redactor_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway

#endif  // SERVER_COMMON_LOG_H_
