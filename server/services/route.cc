#include "server/services/route.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gateway::services {
namespace {

absl::Status UnknownHandle(absl::string_view kind, absl::string_view handle) {
  return absl::NotFoundError(absl::StrCat(kind, " '", handle.substr(0, 100), "' does not exist"));
}

}  // namespace

std::string Route::RunHandle(int64_t run_id) const { return absl::StrCat(run_id); }

absl::StatusOr<int64_t> Route::RunId(absl::string_view handle) const {
  int64_t id;
  if (handle.empty() || !absl::SimpleAtoi(handle, &id) || id <= 0) {
    return UnknownHandle("run", handle);
  }
  return id;
}

std::string Route::StatementHandle(absl::string_view statement_id) const {
  return std::string(statement_id);
}

absl::StatusOr<std::string> Route::StatementId(absl::string_view handle) const {
  // Databricks statement ids are UUID-like: letters, digits and '-'. Anything else could
  // not be one, and must not reach a URL path.
  const bool valid = !handle.empty() && handle.size() <= 128 &&
                     std::all_of(handle.begin(), handle.end(), [](char c) {
                       return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
                     });
  if (!valid) return UnknownHandle("statement", handle);
  return std::string(handle);
}

}  // namespace gateway::services
