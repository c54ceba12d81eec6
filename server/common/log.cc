#include "server/common/log.h"

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/common/json.h"

namespace gateway {
namespace {

constexpr absl::string_view kRedacted = "[REDACTED]";

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '~' || c == '+' || c == '/' || c == '=';
}

// Replaces the credential after each case-insensitive occurrence of `prefix`, keeping
// the prefix when `keep_prefix` (so "Bearer abc" reads "Bearer [REDACTED]").
std::string RedactAfter(absl::string_view text, absl::string_view prefix, bool keep_prefix,
                        size_t min_length) {
  std::string out;
  const std::string lower = absl::AsciiStrToLower(text);
  size_t pos = 0;
  while (true) {
    size_t hit = absl::string_view(lower).find(prefix, pos);
    if (hit == std::string::npos) break;
    size_t end = hit + prefix.size();
    while (end < text.size() && IsTokenChar(text[end])) ++end;
    if (end - hit - prefix.size() < min_length) {
      absl::StrAppend(&out, text.substr(pos, end - pos));
    } else {
      absl::StrAppend(&out, text.substr(pos, hit - pos),
                      keep_prefix ? text.substr(hit, prefix.size()) : "", kRedacted);
    }
    pos = end;
  }
  absl::StrAppend(&out, text.substr(std::min(pos, text.size())));
  return out;
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", name, "\" (expected debug, info, warn or error)"));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void Redactor::AddSecret(std::string value) {
  if (value.size() < 4) return;
  for (const std::string& known : secrets_) {
    if (known == value) return;
  }
  secrets_.push_back(std::move(value));
}

std::string Redactor::Redact(absl::string_view text) const {
  std::string out(text);
  for (const std::string& secret : secrets_) {
    out = absl::StrReplaceAll(out, {{secret, kRedacted}});
  }
  out = RedactAfter(out, "dapi", /*keep_prefix=*/false, /*min_length=*/8);
  out = RedactAfter(out, "bearer ", /*keep_prefix=*/true, /*min_length=*/1);
  return out;
}

void Logger::SetLevel(LogLevel level) {
  absl::MutexLock lock(&mu_);
  min_level_ = level;
}

std::string Logger::Redact(absl::string_view text) const {
  absl::MutexLock lock(&mu_);
  return redactor_.Redact(text);
}

void Logger::AddSecret(std::string value) {
  absl::MutexLock lock(&mu_);
  redactor_.AddSecret(std::move(value));
}

void Logger::Log(LogLevel level, absl::string_view msg, std::initializer_list<LogField> fields) {
  absl::MutexLock lock(&mu_);
  if (level < min_level_) return;
  std::string line = absl::StrCat(
      R"({"ts":")", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      R"(","level":")", LogLevelName(level), R"(","msg":)");
  json::AppendQuoted(redactor_.Redact(msg), &line);
  for (const auto& [key, value] : fields) {
    line += ',';
    json::AppendQuoted(key, &line);
    line += ':';
    json::AppendQuoted(redactor_.Redact(value), &line);
  }
  line += "}\n";
  *out_ << line << std::flush;
}

}  // namespace gateway
