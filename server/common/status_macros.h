// Status propagation macros. Debian's Abseil (20220623) has no ABSL_RETURN_IF_ERROR, so
// the project keeps these two.
#ifndef SERVER_COMMON_STATUS_MACROS_H_
#define SERVER_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define GW_RETURN_IF_ERROR(expr)                                \
  do {                                                          \
    if (::absl::Status gw_status_ = (expr); !gw_status_.ok()) { \
      return gw_status_;                                        \
    }                                                           \
  } while (false)

#define GW_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define GW_STATUS_MACROS_CONCAT_(x, y) GW_STATUS_MACROS_CONCAT_INNER_(x, y)

// `GW_ASSIGN_OR_RETURN(auto x, StatusOrExpr());` assigns the value or returns the error.
#define GW_ASSIGN_OR_RETURN(lhs, expr) \
  GW_ASSIGN_OR_RETURN_IMPL_(GW_STATUS_MACROS_CONCAT_(gw_statusor_, __LINE__), lhs, expr)

// `statusor` is a name to declare and `lhs` may be a declaration (`const int x`): the
// parentheses bugprone-macro-parentheses asks for would not compile there.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define GW_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) {                                \
    return std::move(statusor).status();               \
  }                                                    \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // SERVER_COMMON_STATUS_MACROS_H_
