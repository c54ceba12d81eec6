#include "tests/emulator/sql_lexer.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace emulator {
namespace {

absl::Status SyntaxError(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("[PARSE_SYNTAX_ERROR] Syntax error at or near position ", offset, ": ", what));
}

bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

}  // namespace

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view sql) {
  std::vector<Token> tokens;
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    if (absl::ascii_isspace(c)) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t end = sql.find("*/", i + 2);
      if (end == absl::string_view::npos) return SyntaxError(i, "unclosed comment");
      i = end + 2;
      continue;
    }
    Token token;
    token.offset = i;
    if (absl::ascii_isalpha(c) || c == '_') {
      const size_t start = i;
      while (i < n && IsWordChar(sql[i])) ++i;
      token.kind = Token::Kind::kWord;
      token.text = std::string(sql.substr(start, i - start));
      token.upper = absl::AsciiStrToUpper(token.text);
    } else if (absl::ascii_isdigit(c) ||
               (c == '.' && i + 1 < n && absl::ascii_isdigit(sql[i + 1]))) {
      const size_t start = i;
      while (i < n && (absl::ascii_isdigit(sql[i]) || sql[i] == '.')) ++i;
      if (i < n && (sql[i] == 'e' || sql[i] == 'E') && i + 1 < n &&
          (absl::ascii_isdigit(sql[i + 1]) || ((sql[i + 1] == '-' || sql[i + 1] == '+') &&
                                               i + 2 < n && absl::ascii_isdigit(sql[i + 2])))) {
        i += 2;
        while (i < n && absl::ascii_isdigit(sql[i])) ++i;
      }
      token.kind = Token::Kind::kNumber;
      token.text = std::string(sql.substr(start, i - start));
      // Spark's typed literal suffixes (10L, 1.5D, 2BD, 3S, 4Y, 1.0F) carry no value.
      if (i + 1 < n && absl::ascii_toupper(sql[i]) == 'B' &&
          absl::ascii_toupper(sql[i + 1]) == 'D') {
        i += 2;
      } else if (i < n && std::string("LDSYFldsyf").find(sql[i]) != std::string::npos &&
                 (i + 1 >= n || !IsWordChar(sql[i + 1]))) {
        ++i;
      }
      if (i < n && IsWordChar(sql[i])) return SyntaxError(i, "a number runs into a word");
    } else if (c == '`') {
      ++i;
      while (true) {
        if (i >= n) return SyntaxError(token.offset, "unclosed back-quoted identifier");
        if (sql[i] == '`') {
          if (i + 1 < n && sql[i + 1] == '`') {
            token.text.push_back('`');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        token.text.push_back(sql[i++]);
      }
      token.kind = Token::Kind::kQuotedIdent;
    } else if (c == '\'' || c == '"') {
      token.kind = Token::Kind::kString;
      // Adjacent literals concatenate ('a' 'b' is 'ab').
      while (i < n && (sql[i] == '\'' || sql[i] == '"')) {
        const char quote = sql[i++];
        while (true) {
          if (i >= n) return SyntaxError(token.offset, "unclosed string literal");
          const char d = sql[i];
          if (d == quote) {
            ++i;
            break;
          }
          if (d == '\\' && i + 1 < n) {
            const char e = sql[i + 1];
            switch (e) {
              case 'n':
                token.text.push_back('\n');
                break;
              case 't':
                token.text.push_back('\t');
                break;
              case 'r':
                token.text.push_back('\r');
                break;
              case '0':
                token.text.push_back('\0');
                break;
              default:
                token.text.push_back(e);
            }
            i += 2;
            continue;
          }
          token.text.push_back(d);
          ++i;
        }
        while (i < n && absl::ascii_isspace(sql[i])) ++i;
      }
    } else if (c == ':' && i + 1 < n && (absl::ascii_isalpha(sql[i + 1]) || sql[i + 1] == '_')) {
      const size_t start = ++i;
      while (i < n && IsWordChar(sql[i])) ++i;
      token.kind = Token::Kind::kParam;
      token.text = std::string(sql.substr(start, i - start));
    } else if (c == '?') {
      return SyntaxError(i,
                         "positional parameter markers (?) are not supported by the Statement "
                         "Execution API; use named markers (:name)");
    } else {
      static constexpr absl::string_view kThree[] = {"<=>"};
      static constexpr absl::string_view kTwo[] = {"<=", ">=", "<>", "!=", "==", "||", "::", "->"};
      token.kind = Token::Kind::kSymbol;
      for (absl::string_view s : kThree) {
        if (sql.substr(i, 3) == s) token.text = std::string(s);
      }
      if (token.text.empty()) {
        for (absl::string_view s : kTwo) {
          if (sql.substr(i, 2) == s) token.text = std::string(s);
        }
      }
      if (token.text.empty()) {
        if (std::string("(),.;+-*/%<>=&|^~!@[]{}").find(c) == std::string::npos) {
          return SyntaxError(i, absl::StrCat("unexpected character '", std::string(1, c), "'"));
        }
        token.text = std::string(1, c);
      }
      i += token.text.size();
    }
    tokens.push_back(std::move(token));
  }
  // One statement: a trailing ';' is allowed, any other is not.
  while (!tokens.empty() && tokens.back().IsSymbol(";")) tokens.pop_back();
  for (const Token& token : tokens) {
    if (token.IsSymbol(";")) {
      return SyntaxError(token.offset, "only one statement can be executed at a time");
    }
  }
  Token end;
  end.offset = n;
  tokens.push_back(end);
  return tokens;
}

}  // namespace emulator
