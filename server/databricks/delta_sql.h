// The checked pieces Delta SQL is built from: identifiers and filter predicates. Pure.
//
// Identifiers (catalog, schema, table, column) are validated against a strict rule and
// back-quoted. A filter is accepted only in a small grammar the gateway parses completely
// (docs/api.md, "Filters"): comparisons of columns with `:name` parameters or other
// columns, IS [NOT] NULL, [NOT] IN (…), [NOT] BETWEEN … AND …, [NOT] LIKE, combined with
// AND, OR, NOT and parentheses. There are no literals, functions, subqueries, comments or
// statement separators in the grammar, so nothing a caller writes can become SQL the
// gateway did not mean; values travel only as named parameters.
#ifndef SERVER_DATABRICKS_DELTA_SQL_H_
#define SERVER_DATABRICKS_DELTA_SQL_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/databricks/gateway/v1/delta.pb.h"

namespace gateway::databricks {

namespace v1 = ::databricks::gateway::v1;

// Longest identifier accepted (Unity Catalog's limit).
inline constexpr size_t kMaxIdentifierLength = 255;
// Longest predicate text accepted, and deepest nesting of parentheses and NOT.
inline constexpr size_t kMaxPredicateLength = 8192;
inline constexpr int kMaxPredicateDepth = 32;

// An identifier is 1–255 ASCII letters, digits, '_' and '-', not starting with '-'.
// Errors: INVALID_ARGUMENT naming `field` and what was refused (the offending character
// and its position, never more than 64 characters of the input).
absl::Status ValidateIdentifier(absl::string_view name, absl::string_view field);

// `name` back-quoted: "`orders`". Precondition: ValidateIdentifier passed.
std::string Quote(absl::string_view name);

// A validated three-part name, each part back-quoted: "`main`.`sales`.`orders`". Empty
// catalog or schema take `default_catalog` / `default_schema`.
absl::StatusOr<std::string> QuotedTableName(const v1::TableName& table, absl::string_view field,
                                            absl::string_view default_catalog,
                                            absl::string_view default_schema);

// A predicate checked against the grammar and rewritten canonically: identifiers
// back-quoted, keywords upper case, one space between tokens.
struct CheckedPredicate {
  std::string sql;
  std::set<std::string> columns;     // unqualified column names referenced
  std::set<std::string> parameters;  // marker names referenced (without ':')
};

// Checks `predicate`. `qualifiers` lists the table aliases a column may carry ("t", "s" in a
// MERGE); empty: columns are unqualified. Errors: INVALID_ARGUMENT "<field>: <what was
// refused> at position N", e.g. "where.predicate: literal values are not allowed; pass
// them as :parameters (at position 12)".
absl::StatusOr<CheckedPredicate> CheckPredicate(absl::string_view predicate,
                                                absl::string_view field,
                                                const std::set<std::string>& qualifiers = {});

// CheckPredicate on a Filter, plus its parameters: every marker has exactly one parameter
// and every parameter is used.
absl::StatusOr<CheckedPredicate> CheckFilter(const v1::Filter& filter, absl::string_view field,
                                             const std::set<std::string>& qualifiers = {});

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_DELTA_SQL_H_
