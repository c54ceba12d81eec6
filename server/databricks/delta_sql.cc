#include "server/databricks/delta_sql.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/common/status_macros.h"

namespace gateway::databricks {
namespace {

absl::Status Refused(absl::string_view field, absl::string_view what, size_t position) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", what, " (at position ", position, ")"));
}

bool IdentStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IdentChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Words of SQL that have no place in a predicate of this grammar: naming them says why the
// input was refused better than a parse error would.
bool ForbiddenKeyword(absl::string_view upper) {
  static const std::set<std::string>* words = new std::set<std::string>{
      "SELECT", "UNION",  "FROM",     "EXISTS",   "WITH",     "INSERT",    "UPDATE",  "DELETE",
      "DROP",   "MERGE",  "VALUES",   "TABLE",    "CASE",     "CAST",      "EXCEPT",  "INTERSECT",
      "JOIN",   "CREATE", "ALTER",    "GRANT",    "REVOKE",   "TRUNCATE",  "ALL",     "ANY",
      "SOME",   "LIMIT",  "ORDER",    "GROUP",    "HAVING",   "WHERE",     "SET",     "USE",
      "CALL",   "EXEC",   "EXECUTE",  "REFRESH",  "OPTIMIZE", "VACUUM",    "RESTORE", "DESCRIBE",
      "SHOW",   "TRUE",   "FALSE",    "INTERVAL", "DATE",     "TIMESTAMP", "RLIKE",   "REGEXP",
      "ILIKE",  "ESCAPE", "DISTINCT", "OVER",     "LATERAL"};
  return words->count(std::string(upper)) > 0;
}

bool Keyword(absl::string_view upper) {
  return upper == "AND" || upper == "OR" || upper == "NOT" || upper == "IS" || upper == "NULL" ||
         upper == "IN" || upper == "BETWEEN" || upper == "LIKE";
}

struct Token {
  enum Kind { kIdent, kKeyword, kParam, kOperator, kLParen, kRParen, kComma, kDot, kEnd };
  Kind kind;
  std::string text;  // identifiers as written; keywords and operators canonical
  size_t position;
};

absl::StatusOr<std::vector<Token>> Lex(absl::string_view s, absl::string_view field) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const size_t start = i;
    if (static_cast<unsigned char>(c) >= 0x80) {
      return Refused(field,
                     absl::StrFormat("non-ASCII character (byte 0x%02X) is not allowed",
                                     static_cast<unsigned char>(c)),
                     i);
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      return Refused(field, "comments are not allowed", i);
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      return Refused(field, "comments are not allowed", i);
    }
    if (c == ';') return Refused(field, "';' (a second statement) is not allowed", i);
    if (c == '\'' || c == '"') {
      return Refused(field, "string literals are not allowed; pass values as :parameters", i);
    }
    if (c == '`') {
      return Refused(field, "back-quoted names are not allowed; write plain column names", i);
    }
    if (absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < s.size() &&
         absl::ascii_isdigit(static_cast<unsigned char>(s[i + 1])))) {
      return Refused(field, "literal values are not allowed; pass them as :parameters", i);
    }
    if (IdentStart(c)) {
      while (i < s.size() && IdentChar(s[i])) ++i;
      std::string word(s.substr(start, i - start));
      const std::string upper = absl::AsciiStrToUpper(word);
      if (ForbiddenKeyword(upper)) {
        return Refused(field,
                       absl::StrCat("'", word,
                                    "' is not allowed (no literals, subqueries, statements or "
                                    "functions in a filter)"),
                       start);
      }
      size_t next = i;
      while (next < s.size() && s[next] == ' ') ++next;
      if (next < s.size() && s[next] == '(' && !Keyword(upper)) {
        return Refused(field, absl::StrCat("functions are not allowed ('", word, "(')"), start);
      }
      if (Keyword(upper)) {
        tokens.push_back({Token::kKeyword, upper, start});
      } else {
        tokens.push_back({Token::kIdent, std::move(word), start});
      }
      continue;
    }
    if (c == ':') {
      ++i;
      if (i >= s.size() || !IdentStart(s[i])) {
        return Refused(field, "':' must start a parameter name such as :day", start);
      }
      while (i < s.size() && IdentChar(s[i])) ++i;
      tokens.push_back({Token::kParam, std::string(s.substr(start + 1, i - start - 1)), start});
      continue;
    }
    auto two = [&](absl::string_view op) { return s.substr(i, 2) == op; };
    if (two("<=") || two(">=") || two("<>") || two("!=")) {
      tokens.push_back({Token::kOperator, std::string(two("!=") ? "<>" : s.substr(i, 2)), start});
      i += 2;
      continue;
    }
    switch (c) {
      case '=':
      case '<':
      case '>':
        tokens.push_back({Token::kOperator, std::string(1, c), start});
        break;
      case '(':
        tokens.push_back({Token::kLParen, "(", start});
        break;
      case ')':
        tokens.push_back({Token::kRParen, ")", start});
        break;
      case ',':
        tokens.push_back({Token::kComma, ",", start});
        break;
      case '.':
        tokens.push_back({Token::kDot, ".", start});
        break;
      default:
        return Refused(field, absl::StrCat("'", std::string(1, c), "' is not allowed"), start);
    }
    ++i;
  }
  tokens.push_back({Token::kEnd, "", s.size()});
  return tokens;
}

// Recursive descent over the grammar in delta_sql.h, writing the canonical SQL as it goes.
class Parser {
 public:
  Parser(std::vector<Token> tokens, absl::string_view field,
         const std::set<std::string>& qualifiers)
      : tokens_(std::move(tokens)), field_(field), qualifiers_(qualifiers) {}

  absl::StatusOr<CheckedPredicate> Parse() {
    if (Peek().kind == Token::kEnd) return Refused(field_, "the predicate is empty", 0);
    GW_RETURN_IF_ERROR(Or(0));
    if (Peek().kind != Token::kEnd) {
      return Refused(field_, absl::StrCat("unexpected '", Peek().text, "'"), Peek().position);
    }
    out_.sql = absl::StrJoin(parts_, " ");
    return std::move(out_);
  }

 private:
  const Token& Peek() const { return tokens_[index_]; }
  const Token& Next() { return tokens_[index_++]; }
  bool AtKeyword(absl::string_view word) const {
    return Peek().kind == Token::kKeyword && Peek().text == word;
  }
  absl::Status Expect(Token::Kind kind, absl::string_view what) {
    if (Peek().kind != kind) return Missing(what);
    parts_.push_back(Next().text);
    return absl::OkStatus();
  }
  // The refusal when `what` should come next and does not.
  absl::Status Missing(absl::string_view what) const {
    return Refused(field_,
                   absl::StrCat("expected ", what, ", found ",
                                Peek().kind == Token::kEnd ? "the end" : "'" + Peek().text + "'"),
                   Peek().position);
  }

  absl::Status Or(int depth) {
    GW_RETURN_IF_ERROR(And(depth));
    while (AtKeyword("OR")) {
      parts_.push_back(Next().text);
      GW_RETURN_IF_ERROR(And(depth));
    }
    return absl::OkStatus();
  }

  absl::Status And(int depth) {
    GW_RETURN_IF_ERROR(Not(depth));
    while (AtKeyword("AND")) {
      parts_.push_back(Next().text);
      GW_RETURN_IF_ERROR(Not(depth));
    }
    return absl::OkStatus();
  }

  absl::Status Not(int depth) {
    if (depth > kMaxPredicateDepth) {
      return Refused(field_, absl::StrCat("nested deeper than ", kMaxPredicateDepth),
                     Peek().position);
    }
    if (AtKeyword("NOT")) {
      parts_.push_back(Next().text);
      return Not(depth + 1);
    }
    if (Peek().kind == Token::kLParen) {
      parts_.push_back(Next().text);
      GW_RETURN_IF_ERROR(Or(depth + 1));
      return Expect(Token::kRParen, "')'");
    }
    return Predicate();
  }

  absl::Status Operand() {
    const Token& token = Peek();
    if (token.kind == Token::kParam) {
      out_.parameters.insert(token.text);
      parts_.push_back(absl::StrCat(":", Next().text));
      return absl::OkStatus();
    }
    if (token.kind != Token::kIdent) {
      return Refused(field_,
                     absl::StrCat("expected a column or a :parameter, found ",
                                  token.kind == Token::kEnd ? "the end" : "'" + token.text + "'"),
                     token.position);
    }
    std::string first = Next().text;
    if (Peek().kind == Token::kDot) {
      if (qualifiers_.count(first) == 0) {
        return Refused(field_,
                       qualifiers_.empty()
                           ? absl::StrCat("qualified names are not allowed here ('", first, ".')")
                           : absl::StrCat("'", first, "' is not a table alias here; use ",
                                          absl::StrJoin(qualifiers_, " or "), "."),
                       token.position);
      }
      Next();
      if (Peek().kind != Token::kIdent) {
        return Refused(field_, "expected a column name after '.'", Peek().position);
      }
      const std::string column = Next().text;
      if (column.size() > kMaxIdentifierLength) {
        return Refused(field_, "a column name is longer than 255 characters", token.position);
      }
      out_.columns.insert(column);
      parts_.push_back(absl::StrCat(Quote(first), ".", Quote(column)));
      return absl::OkStatus();
    }
    if (!qualifiers_.empty()) {
      return Refused(field_,
                     absl::StrCat("'", first, "' needs a table alias: ",
                                  absl::StrJoin(qualifiers_, " or "), "."),
                     token.position);
    }
    if (first.size() > kMaxIdentifierLength) {
      return Refused(field_, "a column name is longer than 255 characters", token.position);
    }
    out_.columns.insert(first);
    parts_.push_back(Quote(first));
    return absl::OkStatus();
  }

  absl::Status Predicate() {
    GW_RETURN_IF_ERROR(Operand());
    if (Peek().kind == Token::kOperator) {
      parts_.push_back(Next().text);
      return Operand();
    }
    if (AtKeyword("IS")) {
      parts_.push_back(Next().text);
      if (AtKeyword("NOT")) parts_.push_back(Next().text);
      if (!AtKeyword("NULL")) return Missing("NULL after IS");
      parts_.push_back(Next().text);
      return absl::OkStatus();
    }
    if (AtKeyword("NOT")) parts_.push_back(Next().text);
    if (AtKeyword("IN")) {
      parts_.push_back(Next().text);
      GW_RETURN_IF_ERROR(Expect(Token::kLParen, "'(' after IN"));
      GW_RETURN_IF_ERROR(Operand());
      while (Peek().kind == Token::kComma) {
        parts_.back() += ",";
        Next();
        GW_RETURN_IF_ERROR(Operand());
      }
      return Expect(Token::kRParen, "')' closing IN");
    }
    if (AtKeyword("BETWEEN")) {
      parts_.push_back(Next().text);
      GW_RETURN_IF_ERROR(Operand());
      if (!AtKeyword("AND")) return Missing("AND in BETWEEN … AND …");
      parts_.push_back(Next().text);
      return Operand();
    }
    if (AtKeyword("LIKE")) {
      parts_.push_back(Next().text);
      return Operand();
    }
    return Refused(field_,
                   absl::StrCat("expected a comparison (=, <>, <, <=, >, >=, IS, IN, BETWEEN, "
                                "LIKE), found ",
                                Peek().kind == Token::kEnd ? "the end" : "'" + Peek().text + "'"),
                   Peek().position);
  }

  const std::vector<Token> tokens_;
  const absl::string_view field_;
  const std::set<std::string>& qualifiers_;
  size_t index_ = 0;
  std::vector<std::string> parts_;
  CheckedPredicate out_;
};

}  // namespace

absl::Status ValidateIdentifier(absl::string_view name, absl::string_view field) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (name.size() > kMaxIdentifierLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", kMaxIdentifierLength, " characters, got ", name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IdentChar(c) || (c == '-' && i > 0);
    if (!ok) {
      const std::string shown = static_cast<unsigned char>(c) >= 0x80 || !absl::ascii_isprint(c)
                                    ? absl::StrFormat("byte 0x%02X", static_cast<unsigned char>(c))
                                    : absl::StrCat("'", std::string(1, c), "'");
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", shown, " at position ", i,
                                                     " is not allowed in a name (ASCII letters, "
                                                     "digits, '_' and '-' only)"));
    }
  }
  return absl::OkStatus();
}

std::string Quote(absl::string_view name) { return absl::StrCat("`", name, "`"); }

absl::StatusOr<std::string> QuotedTableName(const v1::TableName& table, absl::string_view field,
                                            absl::string_view default_catalog,
                                            absl::string_view default_schema) {
  const absl::string_view catalog = table.catalog().empty() ? default_catalog : table.catalog();
  const absl::string_view schema = table.schema().empty() ? default_schema : table.schema();
  GW_RETURN_IF_ERROR(ValidateIdentifier(catalog, absl::StrCat(field, ".catalog")));
  GW_RETURN_IF_ERROR(ValidateIdentifier(schema, absl::StrCat(field, ".schema")));
  GW_RETURN_IF_ERROR(ValidateIdentifier(table.table(), absl::StrCat(field, ".table")));
  return absl::StrCat(Quote(catalog), ".", Quote(schema), ".", Quote(table.table()));
}

absl::StatusOr<CheckedPredicate> CheckPredicate(absl::string_view predicate,
                                                absl::string_view field,
                                                const std::set<std::string>& qualifiers) {
  if (predicate.size() > kMaxPredicateLength) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", kMaxPredicateLength,
                                                   " characters, got ", predicate.size()));
  }
  GW_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(predicate, field));
  return Parser(std::move(tokens), field, qualifiers).Parse();
}

absl::StatusOr<CheckedPredicate> CheckFilter(const v1::Filter& filter, absl::string_view field,
                                             const std::set<std::string>& qualifiers) {
  GW_ASSIGN_OR_RETURN(
      CheckedPredicate checked,
      CheckPredicate(filter.predicate(), absl::StrCat(field, ".predicate"), qualifiers));
  std::set<std::string> given;
  for (const v1::SqlParameter& parameter : filter.parameters()) {
    if (!given.insert(parameter.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".parameters: '", parameter.name(), "' is given twice"));
    }
    if (checked.parameters.count(parameter.name()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".parameters: '",
                                                     parameter.name().substr(0, 64),
                                                     "' is not used by the predicate"));
    }
  }
  for (const std::string& marker : checked.parameters) {
    if (given.count(marker) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".predicate: :", marker, " has no value in ", field, ".parameters"));
    }
  }
  return checked;
}

}  // namespace gateway::databricks
