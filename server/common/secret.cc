#include "server/common/secret.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/file.h"

namespace gateway {

EnvReader ProcessEnv() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string SecretRef::Describe() const {
  return absl::StrCat(source == Source::kEnv ? "env:" : "file:", name);
}

bool IsPlaceholderSecret(absl::string_view value) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  if (lower.empty()) return true;
  if (absl::StrContains(lower, "...") || absl::StrContains(lower, "…")) return true;
  if (lower.front() == '<' && lower.back() == '>') return true;
  if (lower.find_first_not_of('x') == std::string::npos) return true;
  if (lower.find_first_not_of('*') == std::string::npos) return true;
  for (absl::string_view marker : {"your-", "your_", "changeme", "change-me", "placeholder",
                                   "replace-me", "replace_me", "example", "dummy"}) {
    if (absl::StrContains(lower, marker)) return true;
  }
  return false;
}

absl::StatusOr<std::string> ReadSecret(const SecretRef& ref, const EnvReader& env) {
  std::string value;
  if (ref.source == SecretRef::Source::kEnv) {
    std::optional<std::string> found = env(ref.name);
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat("environment variable ", ref.name, " is not set"));
    }
    value = *std::move(found);
  } else {
    std::optional<std::string> contents = ReadWholeFile(ref.name);
    if (!contents.has_value()) {
      return absl::NotFoundError(absl::StrCat("secret file ", ref.name, " cannot be read"));
    }
    value = *std::move(contents);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  }
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ref.Describe(), " is empty"));
  }
  if (IsPlaceholderSecret(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ref.Describe(), " holds a placeholder, not a real secret"));
  }
  return value;
}

}  // namespace gateway
