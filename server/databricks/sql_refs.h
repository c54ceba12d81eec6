// The objects a Spark SQL statement names: tables it reads or writes and functions it calls
// from a schema, found by a tokenizer that knows Spark's literals and a scan that knows where
// the grammar puts a relation. Pure; thread-safe.
//
// The tokenizer reads comments (`--`, `/* */`; a nested comment is refused, since engines
// disagree on nesting), strings ('…', "…" with backslash escapes, raw r'…', binary X'…'),
// back-quoted identifiers (`` doubles a back quote) and numbers; any other byte outside
// quotes that is not ASCII is refused. One statement only (a trailing ';' is allowed).
//
// Relations are found where Spark's grammar puts them: after FROM (not the FROM of EXTRACT,
// SUBSTRING, TRIM, OVERLAY, POSITION or IS [NOT] DISTINCT FROM), JOIN, a comma of a FROM
// list, TABLE, STREAM, MERGE INTO … USING, and as the target of INSERT INTO / OVERWRITE,
// MERGE INTO, UPDATE and DELETE FROM, anywhere in the statement (a CTE can precede a DML
// statement). A parenthesised relation (`FROM (t)`, `JOIN (a JOIN b)`) is a relation too.
// Names a statement's own WITH defines are not tables, within the parentheses that define
// them and only after their definition. Functions: a call of a qualified name, or of an
// unqualified name that is not one of Spark's builtins, is a function in a schema.
//
// What the scan cannot name is reported as unresolved rather than guessed: table-valued
// functions other than Spark's generators and `range`, builtins that reach data or the
// network by a string (read_files, secret, http_request, …), path-based tables
// (delta.`/path`), IDENTIFIER(…), a relation written as a string or a parameter, a
// statement other than a query, INSERT, MERGE, UPDATE or DELETE. An access check must
// refuse a statement with anything unresolved.
#ifndef SERVER_DATABRICKS_SQL_REFS_H_
#define SERVER_DATABRICKS_SQL_REFS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gateway::databricks {

struct SqlReference {
  enum class Kind { kRead, kWrite, kFunction };
  Kind kind = Kind::kRead;
  // One to three parts as written, lower case (Unity Catalog names are case-insensitive),
  // back quotes removed.
  std::vector<std::string> parts;
  // Byte offset of the name in the statement.
  size_t offset = 0;
};

struct SqlUnresolved {
  // What it is, for the refusal: "table-valued function read_files", "path-based table
  // delta.`/mnt/x`", "statement GRANT", …
  std::string construct;
  size_t offset = 0;
};

struct SqlReferences {
  // Whether the statement is a query (SELECT, WITH … SELECT, VALUES, TABLE, FROM …), with
  // no INSERT, MERGE, UPDATE or DELETE in it.
  bool query = false;
  std::vector<SqlReference> references;
  std::vector<SqlUnresolved> unresolved;
};

// Finds the objects `sql` names. Errors: INVALID_ARGUMENT "`field`: …" for text the
// tokenizer cannot read (an unclosed quote or comment, a nested comment, unbalanced
// parentheses, several statements, a byte outside the language), naming the position.
absl::StatusOr<SqlReferences> FindSqlReferences(absl::string_view sql, absl::string_view field);

// Whether `name` (lower case) is one of Spark's builtin functions that reads no data by
// name.
bool IsSqlBuiltin(absl::string_view name);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_SQL_REFS_H_
