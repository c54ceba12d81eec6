#include "server/auth/ownership.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gateway::auth {
namespace {

std::string Mark(absl::string_view tenant) { return absl::StrCat("[gw:", tenant, "] "); }

}  // namespace

std::string MarkName(absl::string_view tenant, absl::string_view name) {
  if (tenant.empty()) return std::string(name);
  return absl::StrCat(Mark(tenant), name.empty() ? "Untitled" : name);
}

bool NameOwnedBy(absl::string_view tenant, absl::string_view name) {
  return tenant.empty() || absl::StartsWith(name, Mark(tenant));
}

std::string UnmarkName(absl::string_view tenant, absl::string_view name) {
  if (tenant.empty()) return std::string(name);
  const std::string mark = Mark(tenant);
  return std::string(absl::StartsWith(name, mark) ? name.substr(mark.size()) : name);
}

}  // namespace gateway::auth
