// The name patterns of the configuration: an exact name, a prefix ending in "*"
// ("DeltaService/*", "main.*"), or "*" alone for everything.
#ifndef SERVER_COMMON_PATTERN_H_
#define SERVER_COMMON_PATTERN_H_

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace gateway {

inline bool PatternMatches(absl::string_view pattern, absl::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    return absl::StartsWith(name, pattern.substr(0, pattern.size() - 1));
  }
  return pattern == name;
}

}  // namespace gateway

#endif  // SERVER_COMMON_PATTERN_H_
