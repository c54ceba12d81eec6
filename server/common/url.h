// Percent-encoding for URL query strings and form bodies.
#ifndef SERVER_COMMON_URL_H_
#define SERVER_COMMON_URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace gateway {

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UrlEncode(absl::string_view text);

}  // namespace gateway

#endif  // SERVER_COMMON_URL_H_
