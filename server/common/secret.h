// Where a secret comes from, and how it is read. Secrets are never written inline in a
// config file: a config names an environment variable or a file, and only this code reads
// the value. Nothing here ever prints a secret value.
#ifndef SERVER_COMMON_SECRET_H_
#define SERVER_COMMON_SECRET_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gateway {

// Reads an environment variable; returns nullopt when unset. Injected so tests need not
// touch the process environment.
using EnvReader = std::function<std::optional<std::string>(absl::string_view name)>;

// The process environment.
EnvReader ProcessEnv();

// A reference to a secret: an environment variable or a file. Safe to log and to show in
// the redacted config dump: it holds the variable name or path, never the value.
struct SecretRef {
  enum class Source { kEnv, kFile };
  Source source = Source::kEnv;
  // The variable name (kEnv) or file path (kFile).
  std::string name;

  // "env:NAME" or "file:PATH".
  std::string Describe() const;
  bool operator==(const SecretRef& other) const {
    return source == other.source && name == other.name;
  }
};

// Reads the secret. A file's trailing newline is dropped.
// Errors: NOT_FOUND if the variable is unset or the file cannot be read;
// INVALID_ARGUMENT if the value is empty or a placeholder (see IsPlaceholderSecret).
// Messages name the variable or file, never the value.
absl::StatusOr<std::string> ReadSecret(const SecretRef& ref, const EnvReader& env);

// True for values that are obviously not real secrets: "dapi...", "your-token",
// "<token>", "changeme", "xxx…" and the like (seed 002's placeholder rule).
bool IsPlaceholderSecret(absl::string_view value);

}  // namespace gateway

#endif  // SERVER_COMMON_SECRET_H_
