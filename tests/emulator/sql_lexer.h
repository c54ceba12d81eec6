// Tokens of Databricks SQL, as much of it as the emulator understands.
//
// Spark's lexical rules: identifiers are bare words or `back-quoted`; string literals take
// single or double quotes with backslash escapes, and adjacent literals concatenate; named
// parameter markers are `:name`; comments are `-- ...` and `/* ... */`.
#ifndef TESTS_EMULATOR_SQL_LEXER_H_
#define TESTS_EMULATOR_SQL_LEXER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace emulator {

struct Token {
  enum class Kind { kWord, kQuotedIdent, kString, kNumber, kParam, kSymbol, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;   // the value: unquoted identifier, unescaped string, symbol, ...
  std::string upper;  // kWord only: upper-case text, for keyword comparisons
  size_t offset = 0;  // byte offset in the statement, for error messages

  bool Is(absl::string_view keyword) const { return kind == Kind::kWord && upper == keyword; }
  bool IsSymbol(absl::string_view symbol) const { return kind == Kind::kSymbol && text == symbol; }
  bool IsIdentifier() const { return kind == Kind::kWord || kind == Kind::kQuotedIdent; }
};

// Splits a statement into tokens, ending with one kEnd token. A trailing ';' is dropped; any
// other ';' is an error (the Statement Execution API runs exactly one statement). Errors are
// INVALID_ARGUMENT with a Spark-style message ("[PARSE_SYNTAX_ERROR] ...").
absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view sql);

}  // namespace emulator

#endif  // TESTS_EMULATOR_SQL_LEXER_H_
