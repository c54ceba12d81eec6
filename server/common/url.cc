#include "server/common/url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace gateway {

std::string UrlEncode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", u);
    }
  }
  return out;
}

}  // namespace gateway
