#include "server/databricks/sql_refs.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace gateway::databricks {
namespace {

// Spark's builtin functions (its FunctionRegistry, and Databricks' own such as
// current_catalog), lower case and sorted, without those in kDataBuiltins.
constexpr absl::string_view kBuiltins[] = {
    "abs",
    "acos",
    "acosh",
    "add_months",
    "aes_decrypt",
    "aes_encrypt",
    "aggregate",
    "and",
    "any",
    "any_value",
    "approx_count_distinct",
    "approx_percentile",
    "array",
    "array_agg",
    "array_append",
    "array_compact",
    "array_contains",
    "array_distinct",
    "array_except",
    "array_insert",
    "array_intersect",
    "array_join",
    "array_max",
    "array_min",
    "array_position",
    "array_prepend",
    "array_remove",
    "array_repeat",
    "array_size",
    "array_sort",
    "array_union",
    "arrays_overlap",
    "arrays_zip",
    "ascii",
    "asin",
    "asinh",
    "assert_true",
    "atan",
    "atan2",
    "atanh",
    "avg",
    "base64",
    "between",
    "bigint",
    "bin",
    "binary",
    "bit_and",
    "bit_count",
    "bit_get",
    "bit_length",
    "bit_or",
    "bit_xor",
    "bitmap_bit_position",
    "bitmap_bucket_number",
    "bitmap_construct_agg",
    "bitmap_count",
    "bitmap_or_agg",
    "bool_and",
    "bool_or",
    "boolean",
    "bround",
    "btrim",
    "cardinality",
    "cast",
    "cbrt",
    "ceil",
    "ceiling",
    "char",
    "char_length",
    "character_length",
    "chr",
    "coalesce",
    "collate",
    "collation",
    "collect_list",
    "collect_set",
    "concat",
    "concat_ws",
    "contains",
    "conv",
    "convert_timezone",
    "corr",
    "cos",
    "cosh",
    "cot",
    "count",
    "count_if",
    "count_min_sketch",
    "covar_pop",
    "covar_samp",
    "crc32",
    "csc",
    "cume_dist",
    "curdate",
    "current_catalog",
    "current_database",
    "current_date",
    "current_metastore",
    "current_schema",
    "current_timestamp",
    "current_timezone",
    "current_user",
    "current_version",
    "date",
    "date_add",
    "date_diff",
    "date_format",
    "date_from_unix_date",
    "date_part",
    "date_sub",
    "date_trunc",
    "dateadd",
    "datediff",
    "datepart",
    "day",
    "dayname",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "decimal",
    "decode",
    "degrees",
    "dense_rank",
    "div",
    "double",
    "e",
    "element_at",
    "elt",
    "encode",
    "endswith",
    "equal_null",
    "every",
    "exists",
    "exp",
    "explode",
    "explode_outer",
    "expm1",
    "extract",
    "factorial",
    "filter",
    "find_in_set",
    "first",
    "first_value",
    "flatten",
    "float",
    "floor",
    "forall",
    "format_number",
    "format_string",
    "from_avro",
    "from_csv",
    "from_json",
    "from_unixtime",
    "from_utc_timestamp",
    "get",
    "get_json_object",
    "getbit",
    "greatest",
    "grouping",
    "grouping_id",
    "h3_longlatash3",
    "hash",
    "hex",
    "histogram_numeric",
    "hll_sketch_agg",
    "hll_sketch_estimate",
    "hll_union",
    "hll_union_agg",
    "hour",
    "hypot",
    "if",
    "ifnull",
    "ilike",
    "in",
    "initcap",
    "inline",
    "inline_outer",
    "input_file_block_length",
    "input_file_block_start",
    "input_file_name",
    "instr",
    "int",
    "is_account_group_member",
    "is_member",
    "is_valid_utf8",
    "is_variant_null",
    "isnan",
    "isnotnull",
    "isnull",
    "json_array_length",
    "json_object_keys",
    "json_tuple",
    "kurtosis",
    "lag",
    "last",
    "last_day",
    "last_value",
    "lcase",
    "lead",
    "least",
    "left",
    "len",
    "length",
    "levenshtein",
    "like",
    "listagg",
    "ln",
    "localtimestamp",
    "locate",
    "log",
    "log10",
    "log1p",
    "log2",
    "lower",
    "lpad",
    "ltrim",
    "luhn_check",
    "make_date",
    "make_dt_interval",
    "make_interval",
    "make_time",
    "make_timestamp",
    "make_timestamp_ltz",
    "make_timestamp_ntz",
    "make_valid_utf8",
    "make_ym_interval",
    "map",
    "map_concat",
    "map_contains_key",
    "map_entries",
    "map_filter",
    "map_from_arrays",
    "map_from_entries",
    "map_keys",
    "map_values",
    "map_zip_with",
    "mask",
    "max",
    "max_by",
    "md5",
    "mean",
    "median",
    "min",
    "min_by",
    "minute",
    "mod",
    "mode",
    "monotonically_increasing_id",
    "month",
    "monthname",
    "months_between",
    "named_struct",
    "nanvl",
    "negative",
    "next_day",
    "not",
    "now",
    "nth_value",
    "ntile",
    "nullif",
    "nvl",
    "nvl2",
    "octet_length",
    "or",
    "overlay",
    "parse_json",
    "parse_url",
    "percent_rank",
    "percentile",
    "percentile_approx",
    "percentile_cont",
    "percentile_disc",
    "pi",
    "pmod",
    "posexplode",
    "posexplode_outer",
    "position",
    "positive",
    "pow",
    "power",
    "printf",
    "quarter",
    "radians",
    "raise_error",
    "rand",
    "randn",
    "random",
    "randstr",
    "rank",
    "reduce",
    "regexp",
    "regexp_count",
    "regexp_extract",
    "regexp_extract_all",
    "regexp_instr",
    "regexp_like",
    "regexp_replace",
    "regexp_substr",
    "regr_avgx",
    "regr_avgy",
    "regr_count",
    "regr_intercept",
    "regr_r2",
    "regr_slope",
    "regr_sxx",
    "regr_sxy",
    "regr_syy",
    "repeat",
    "replace",
    "reverse",
    "right",
    "rint",
    "rlike",
    "round",
    "row_number",
    "rpad",
    "rtrim",
    "schema_of_csv",
    "schema_of_json",
    "schema_of_variant",
    "schema_of_variant_agg",
    "sec",
    "second",
    "sentences",
    "sequence",
    "session_user",
    "session_window",
    "sha",
    "sha1",
    "sha2",
    "shiftleft",
    "shiftright",
    "shiftrightunsigned",
    "shuffle",
    "sign",
    "signum",
    "sin",
    "sinh",
    "size",
    "skewness",
    "slice",
    "smallint",
    "some",
    "sort_array",
    "soundex",
    "space",
    "spark_partition_id",
    "split",
    "split_part",
    "sqrt",
    "stack",
    "startswith",
    "std",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "str_to_map",
    "string",
    "string_agg",
    "struct",
    "substr",
    "substring",
    "substring_index",
    "sum",
    "tan",
    "tanh",
    "timediff",
    "timestamp",
    "timestamp_ltz",
    "timestamp_micros",
    "timestamp_millis",
    "timestamp_ntz",
    "timestamp_seconds",
    "timestampadd",
    "timestampdiff",
    "tinyint",
    "to_avro",
    "to_binary",
    "to_char",
    "to_csv",
    "to_date",
    "to_json",
    "to_number",
    "to_timestamp",
    "to_timestamp_ltz",
    "to_timestamp_ntz",
    "to_unix_timestamp",
    "to_utc_timestamp",
    "to_varchar",
    "to_variant_object",
    "to_xml",
    "transform",
    "transform_keys",
    "transform_values",
    "translate",
    "trim",
    "trunc",
    "try_add",
    "try_aes_decrypt",
    "try_avg",
    "try_cast",
    "try_divide",
    "try_element_at",
    "try_mod",
    "try_multiply",
    "try_parse_json",
    "try_subtract",
    "try_sum",
    "try_to_binary",
    "try_to_number",
    "try_to_timestamp",
    "try_url_decode",
    "try_validate_utf8",
    "try_variant_get",
    "typeof",
    "ucase",
    "unbase64",
    "unhex",
    "uniform",
    "unix_date",
    "unix_micros",
    "unix_millis",
    "unix_seconds",
    "unix_timestamp",
    "upper",
    "url_decode",
    "url_encode",
    "user",
    "uuid",
    "validate_utf8",
    "var_pop",
    "var_samp",
    "varchar",
    "variance",
    "variant_get",
    "version",
    "weekday",
    "weekofyear",
    "when",
    "width_bucket",
    "window",
    "window_time",
    "xpath",
    "xpath_boolean",
    "xpath_double",
    "xpath_float",
    "xpath_int",
    "xpath_long",
    "xpath_number",
    "xpath_short",
    "xpath_string",
    "xxhash64",
    "year",
    "zip_with",
};

// Builtins that reach data, secrets, the network or the JVM by a string argument, which no
// rule can check.
constexpr absl::string_view kDataBuiltins[] = {
    "ai_query",
    "cloud_files_state",
    "http_request",
    "java_method",
    "list_secrets",
    "read_files",
    "read_kafka",
    "read_kinesis",
    "read_pubsub",
    "read_pulsar",
    "read_state_metadata",
    "read_statestore",
    "reflect",
    "remote_query",
    "secret",
    "table_changes",
    "try_reflect",
    "try_secret",
    "vector_search",
    "from_xml",
    "schema_of_xml",
};

// Table-valued functions that produce rows from their arguments alone.
constexpr absl::string_view kRowFunctions[] = {
    "explode",
    "explode_outer",
    "inline",
    "inline_outer",
    "json_tuple",
    "posexplode",
    "posexplode_outer",
    "range",
    "stack",
    "variant_explode",
    "variant_explode_outer",
};

// Words followed by '(' that are syntax, not a function call.
constexpr absl::string_view kSyntaxBeforeParen[] = {
    "ALL",       "AND",       "ANY",      "ARRAY",  "AS",          "BETWEEN", "BY",
    "CASE",      "CUBE",      "DISTINCT", "ELSE",   "END",         "EXCEPT",  "EXISTS",
    "FILTER",    "FOR",       "FROM",     "GROUP",  "GROUPING",    "HAVING",  "ILIKE",
    "IN",        "INTERSECT", "INTERVAL", "INTO",   "IS",          "JOIN",    "LATERAL",
    "LIKE",      "LIMIT",     "MAP",      "MINUS",  "NOT",         "OF",      "OFFSET",
    "ON",        "OR",        "ORDER",    "OVER",   "PARTITION",   "PIVOT",   "QUALIFY",
    "RECURSIVE", "RETURN",    "RLIKE",    "ROLLUP", "SELECT",      "SET",     "SETS",
    "SOME",      "STREAM",    "STRUCT",   "TABLE",  "TABLESAMPLE", "THEN",    "UNION",
    "UNPIVOT",   "USING",     "VALUES",   "WHEN",   "WHERE",       "WINDOW",  "WITH",
    "WITHIN",
};

// Words after which a comma of a FROM list no longer separates relations.
constexpr absl::string_view kEndsFromList[] = {
    "CLUSTER", "DISTRIBUTE", "EXCEPT", "GROUP", "HAVING",  "INSERT", "INTERSECT",
    "LIMIT",   "MINUS",      "OFFSET", "ORDER", "QUALIFY", "SELECT", "SET",
    "SORT",    "UNION",      "WHEN",   "WHERE", "WINDOW",
};

// Functions in whose parentheses FROM is part of the call: EXTRACT(YEAR FROM d).
constexpr absl::string_view kFromInside[] = {"EXTRACT", "OVERLAY",   "POSITION",
                                             "SUBSTR",  "SUBSTRING", "TRIM"};

// Data sources Spark reads by path as `format`.`path`.
constexpr absl::string_view kFileFormats[] = {"avro",    "binaryfile", "cloudfiles", "csv",
                                              "delta",   "jdbc",       "json",       "orc",
                                              "parquet", "text",       "xml"};

// Statements the scan understands.
constexpr absl::string_view kQueryStarts[] = {"FROM", "SELECT", "TABLE", "VALUES", "WITH"};
constexpr absl::string_view kDmlStarts[] = {"DELETE", "INSERT", "MERGE", "UPDATE"};

template <size_t N>
bool In(const absl::string_view (&list)[N], absl::string_view word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

struct Token {
  enum class Kind { kWord, kQuotedName, kString, kNumber, kSymbol };
  Kind kind;
  std::string text;  // words upper case; quoted names without quotes; symbols as written
  size_t offset;

  bool name() const { return kind == Kind::kWord || kind == Kind::kQuotedName; }
};

bool WordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether a run of word characters that begins with a digit is a number, as Spark's lexer
// decides (its number rules win a tie with identifiers): 12, 10L, 3S, 2Y, 1e10, 1.5D as far
// as the run goes, 2BD, 1E5F. Anything longer (2024_events, 1e10x) is an identifier.
bool NumberWord(absl::string_view word) {
  size_t k = 0;
  while (k < word.size() && absl::ascii_isdigit(static_cast<unsigned char>(word[k]))) ++k;
  absl::string_view rest = word.substr(k);
  if (!rest.empty() && (rest[0] == 'e' || rest[0] == 'E')) {
    size_t digits = 1;
    while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    // "1e" before a sign continues as 1e+10; "1e10" alone is a number.
    rest = rest.substr(digits);
  }
  const std::string suffix = absl::AsciiStrToUpper(rest);
  return suffix.empty() || suffix == "L" || suffix == "S" || suffix == "Y" || suffix == "D" ||
         suffix == "F" || suffix == "BD";
}

bool SqlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

absl::Status Unreadable(absl::string_view field, absl::string_view what, size_t at) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what, " at position ", at));
}

// Reads a quoted run from `sql[at]` (the opening quote) to its closing quote: '…' and "…"
// take backslash escapes unless `raw`; `…` doubles a back quote. `end` is past the close.
absl::StatusOr<std::string> Quoted(absl::string_view sql, size_t at, bool raw,
                                   absl::string_view field, size_t* end) {
  const char quote = sql[at];
  std::string text;
  for (size_t j = at + 1; j < sql.size(); ++j) {
    const char c = sql[j];
    if (quote != '`' && !raw && c == '\\' && j + 1 < sql.size()) {
      text += sql[++j];
    } else if (c == quote) {
      if (quote == '`' && j + 1 < sql.size() && sql[j + 1] == '`') {
        text += '`';
        ++j;
        continue;
      }
      *end = j + 1;
      return text;
    } else {
      text += c;
    }
  }
  return Unreadable(field, absl::StrCat("the quote ", std::string(1, quote), " is never closed"),
                    at);
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view sql, absl::string_view field) {
  std::vector<Token> out;
  size_t i = 0;
  size_t hint = absl::string_view::npos;  // where an open hint /*+ began
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (SqlSpace(c)) {
      ++i;
    } else if (c == '-' && next == '-') {
      // As Spark's lexer: to a CR or an LF, and a backslash before an LF continues it.
      i += 2;
      while (i < sql.size() && sql[i] != '\r' && sql[i] != '\n') {
        i += sql[i] == '\\' && i + 1 < sql.size() && sql[i + 1] == '\n' ? 2 : 1;
      }
    } else if (c == '/' && next == '*' && i + 2 < sql.size() && sql[i + 2] == '+') {
      // A hint: Spark reads its inside as tokens (a quote in it hides a '*/'), so this does
      // too, and then leaves the hint out: it names no relation.
      if (hint != absl::string_view::npos) return Unreadable(field, "a hint inside a hint", i);
      hint = i;
      out.push_back({Token::Kind::kSymbol, "/*+", i});
      i += 3;
    } else if (c == '*' && next == '/' && hint != absl::string_view::npos) {
      out.push_back({Token::Kind::kSymbol, "*/", i});
      hint = absl::string_view::npos;
      i += 2;
    } else if (c == '/' && next == '*') {
      const size_t close = sql.find("*/", i + 2);
      if (close == absl::string_view::npos) {
        return Unreadable(field, "the comment '/*' is never closed", i);
      }
      // Engines disagree on nesting; a comment whose end depends on it is refused.
      const size_t inner = sql.find("/*", i + 2);
      if (inner != absl::string_view::npos && inner < close) {
        return Unreadable(field, "a nested comment '/*' is not read", inner);
      }
      i = close + 2;
    } else if (c == '*' && next == '/') {
      return Unreadable(field, "'*/' closes no comment", i);
    } else if (c == '\'' || c == '"' || c == '`') {
      size_t end = 0;
      absl::StatusOr<std::string> text = Quoted(sql, i, false, field, &end);
      if (!text.ok()) return text.status();
      out.push_back(
          {c == '`' ? Token::Kind::kQuotedName : Token::Kind::kString, *std::move(text), i});
      i = end;
    } else if (WordChar(c)) {
      size_t j = i;
      while (j < sql.size() && WordChar(sql[j])) ++j;
      const absl::string_view word = sql.substr(i, j - i);
      const bool quote_follows = j < sql.size() && (sql[j] == '\'' || sql[j] == '"');
      if (quote_follows && (word == "r" || word == "R" || word == "x" || word == "X")) {
        // A raw string r'…' (no escapes) or a binary literal X'…'.
        size_t end = 0;
        absl::StatusOr<std::string> text = Quoted(sql, j, word == "r" || word == "R", field, &end);
        if (!text.ok()) return text.status();
        out.push_back({Token::Kind::kString, *std::move(text), i});
        i = end;
        continue;
      }
      if (absl::ascii_isdigit(static_cast<unsigned char>(c)) && NumberWord(word)) {
        // A number: 12, 10L, 1e3, 1.5, 1.5e-3, 1.2BD; a fraction or a signed exponent
        // continues it.
        if (j + 1 < sql.size() && sql[j] == '.' &&
            absl::ascii_isdigit(static_cast<unsigned char>(sql[j + 1]))) {
          for (++j; j < sql.size() && WordChar(sql[j]); ++j) {
          }
        }
        if (j + 1 < sql.size() && (sql[j - 1] == 'e' || sql[j - 1] == 'E') &&
            (sql[j] == '+' || sql[j] == '-') &&
            absl::ascii_isdigit(static_cast<unsigned char>(sql[j + 1]))) {
          for (++j; j < sql.size() && WordChar(sql[j]); ++j) {
          }
        }
        out.push_back({Token::Kind::kNumber, std::string(sql.substr(i, j - i)), i});
      } else {
        // Spark's identifiers may begin with digits (2024_events).
        out.push_back({Token::Kind::kWord, absl::AsciiStrToUpper(word), i});
      }
      i = j;
    } else if (c == '.' && absl::ascii_isdigit(static_cast<unsigned char>(next)) &&
               (out.empty() || !(out.back().name() || out.back().text == ")"))) {
      size_t j = i + 1;
      while (j < sql.size() && WordChar(sql[j])) ++j;
      out.push_back({Token::Kind::kNumber, std::string(sql.substr(i, j - i)), i});
      i = j;
    } else if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20) {
      return Unreadable(field,
                        absl::StrFormat("byte 0x%02x is not part of Spark SQL outside quotes",
                                        static_cast<unsigned char>(c)),
                        i);
    } else {
      out.push_back({Token::Kind::kSymbol, std::string(1, c), i});
      ++i;
    }
  }
  if (hint != absl::string_view::npos) {
    return Unreadable(field, "the hint '/*+' is never closed", hint);
  }
  // The hints' tokens go: they name no relation.
  std::vector<Token> kept;
  kept.reserve(out.size());
  bool in_hint = false;
  for (Token& token : out) {
    if (token.kind == Token::Kind::kSymbol && (token.text == "/*+" || token.text == "*/")) {
      in_hint = token.text == "/*+";
      continue;
    }
    if (!in_hint) kept.push_back(std::move(token));
  }
  return kept;
}

// The scan over one statement's tokens (see the header for what it finds).
class Scanner {
 public:
  Scanner(std::vector<Token> tokens, std::vector<size_t> match, std::vector<int> depth)
      : t_(std::move(tokens)),
        match_(std::move(match)),
        depth_(std::move(depth)),
        consumed_(t_.size(), false) {}

  SqlReferences Run() {
    size_t first = 0;
    while (Sym(first, "(")) ++first;
    bool query = false;
    if (first < t_.size() && t_[first].kind == Token::Kind::kWord &&
        In(kQueryStarts, t_[first].text)) {
      query = true;
    } else if (first == 0 && Word(0) && In(kDmlStarts, t_[0].text)) {
      query = false;
    } else if (first < t_.size()) {
      Unresolved(absl::StrCat("statement ", t_[first].text), first);
    }
    for (size_t i = 0; i < t_.size(); ++i) Step(i);
    out_.query = query && !dml_;
    return std::move(out_);
  }

 private:
  bool Word(size_t i) const { return i < t_.size() && t_[i].kind == Token::Kind::kWord; }
  bool Word(size_t i, absl::string_view w) const { return Word(i) && t_[i].text == w; }
  bool Sym(size_t i, absl::string_view s) const {
    return i < t_.size() && t_[i].kind == Token::Kind::kSymbol && t_[i].text == s;
  }
  bool Name(size_t i) const { return i < t_.size() && t_[i].name(); }
  bool QueryStart(size_t i) const { return Word(i) && In(kQueryStarts, t_[i].text); }

  static std::string Lower(const Token& token) { return absl::AsciiStrToLower(token.text); }
  static bool HasEmptyPart(const std::vector<std::string>& parts) {
    return std::any_of(parts.begin(), parts.end(),
                       [](const std::string& part) { return part.empty(); });
  }

  // The dotted name at `i`; `*end` is the token after it.
  std::vector<std::string> Path(size_t i, size_t* end) const {
    std::vector<std::string> parts = {Lower(t_[i])};
    size_t j = i + 1;
    while (Sym(j, ".") && Name(j + 1)) {
      parts.push_back(Lower(t_[j + 1]));
      j += 2;
    }
    *end = j;
    return parts;
  }

  void Consume(size_t from, size_t to) {
    for (size_t k = from; k < to && k < consumed_.size(); ++k) consumed_[k] = true;
  }

  void Unresolved(std::string construct, size_t i) {
    out_.unresolved.push_back({std::move(construct), i < t_.size() ? t_[i].offset : 0});
  }

  void Reference(SqlReference::Kind kind, std::vector<std::string> parts, size_t i) {
    out_.references.push_back({kind, std::move(parts), t_[i].offset});
  }

  bool InCte(const std::string& name) const {
    auto found = cte_names_.find(name);
    return found != cte_names_.end() && found->second > 0;
  }

  // A table name at `i` (already read into `parts`, ending before `end`).
  void Table(SqlReference::Kind kind, std::vector<std::string> parts, size_t i) {
    const std::string written = absl::StrJoin(parts, ".");
    if (HasEmptyPart(parts)) {
      Unresolved(absl::StrCat("the empty name ", written), i);
      return;
    }
    const bool path = std::any_of(parts.begin(), parts.end(), [](const std::string& part) {
      return absl::StrContains(part, "/") || absl::StrContains(part, ":");
    });
    if (path || (parts.size() == 2 && In(kFileFormats, parts[0]))) {
      Unresolved(absl::StrCat("path-based table ", written), i);
      return;
    }
    if (parts.size() > 3) {
      Unresolved(absl::StrCat("name ", written, " (more than three parts)"), i);
      return;
    }
    // A DML target is never a CTE: Spark resolves it as a table.
    if (kind != SqlReference::Kind::kWrite && parts.size() == 1 && InCte(parts[0])) return;
    Reference(kind, std::move(parts), i);
  }

  // Past a relation's suffixes (time travel, sample, options), its alias is not a call.
  void Alias(size_t j) {
    for (int k = 0; k < 4; ++k) {
      if (Sym(j, "@") && j + 1 < t_.size()) {
        j += 2;
      } else if ((Word(j, "TABLESAMPLE") || Word(j, "WITH")) && Sym(j + 1, "(")) {
        j = match_[j + 1] + 1;
      } else if ((Word(j, "VERSION") || Word(j, "TIMESTAMP")) && Word(j + 1, "AS") &&
                 Word(j + 2, "OF")) {
        j += 3;
        if (j < t_.size() &&
            (t_[j].kind == Token::Kind::kNumber || t_[j].kind == Token::Kind::kString)) {
          ++j;
        } else {
          return;  // an expression: its calls are calls
        }
      } else {
        break;
      }
    }
    if (Word(j, "AS")) ++j;
    if (Name(j) && !(Word(j) && In(kEndsFromList, t_[j].text)) && !QueryStart(j)) {
      consumed_[j] = true;
    }
  }

  // A relation where the grammar has one, at `i`.
  void Relation(size_t i, SqlReference::Kind kind) {
    if (Word(i, "LATERAL")) ++i;
    if (Word(i, "STREAM") && (Sym(i + 1, "(") || Name(i + 1))) {
      consumed_[i] = true;
      ++i;
    }
    if (i >= t_.size()) {
      Unresolved("a relation is missing at the end", t_.size() - 1);
      return;
    }
    if (Sym(i, "(")) {
      const size_t inner = i + 1;
      if (!QueryStart(inner)) {
        // A parenthesised relation: `FROM (t)`, `JOIN (a JOIN b ON …)`.
        from_list_[depth_[inner]] = true;
        Relation(inner, kind);
      }
      Alias(match_[i] + 1);
      return;
    }
    if (Word(i, "VALUES")) return;
    if (!Name(i)) {
      Unresolved(absl::StrCat("relation written as '", t_[i].text, "'"), i);
      return;
    }
    size_t end = 0;
    std::vector<std::string> parts = Path(i, &end);
    Consume(i, end);
    if (Sym(end, "(")) {
      if (parts.size() == 1 && t_[i].kind == Token::Kind::kWord && In(kRowFunctions, parts[0])) {
        Alias(match_[end] + 1);
        return;
      }
      if (Word(i, "IDENTIFIER")) {
        Unresolved("IDENTIFIER clause", i);
      } else {
        Unresolved(absl::StrCat("table-valued function ", absl::StrJoin(parts, ".")), i);
      }
      Alias(match_[end] + 1);
      return;
    }
    Table(kind, std::move(parts), i);
    Alias(end);
  }

  // The table a DML statement writes, at `i`; MERGE, UPDATE and DELETE may alias it,
  // INSERT may not.
  void Target(size_t i, bool aliased = true) {
    dml_ = true;
    if (Word(i, "IDENTIFIER") && Sym(i + 1, "(")) {
      Unresolved("IDENTIFIER clause", i);
      return;
    }
    if (!Name(i)) {
      Unresolved("the target of a DML statement", i);
      return;
    }
    size_t end = 0;
    std::vector<std::string> parts = Path(i, &end);
    Consume(i, end);
    Table(SqlReference::Kind::kWrite, std::move(parts), i);
    if (aliased) Alias(end);
  }

  // WITH name [(columns)] AS (query) [, …]: each name is visible after its definition,
  // until the parentheses around the WITH close.
  void Ctes(size_t i) {
    size_t j = i + 1;
    if (Word(j, "RECURSIVE")) ++j;
    while (Name(j)) {
      const size_t name = j++;
      // name [(columns)] [AS] (query): Spark lets AS go, so a parenthesis that opens a query
      // is the body, and one that opens names is the column list.
      if (Sym(j, "(") && !QueryStart(j + 1) && !Sym(j + 1, "(")) j = match_[j] + 1;
      if (Word(j, "AS")) ++j;
      if (!Sym(j, "(")) return;
      consumed_[name] = true;
      pending_ctes_.emplace(match_[j], std::make_pair(depth_[i], Lower(t_[name])));
      j = match_[j] + 1;
      if (!Sym(j, ",")) return;
      ++j;
    }
  }

  void Merge(size_t i) {
    dml_ = true;
    size_t j = i + 1;
    if (Word(j, "WITH") && Word(j + 1, "SCHEMA") && Word(j + 2, "EVOLUTION")) j += 3;
    if (!Word(j, "INTO")) return;
    Target(j + 1);
    for (size_t k = j + 2; k < t_.size() && depth_[k] >= depth_[i]; ++k) {
      if (depth_[k] == depth_[i] && Word(k, "USING")) {
        Relation(k + 1, SqlReference::Kind::kRead);
        return;
      }
    }
  }

  void Call(size_t i) {
    size_t end = 0;
    std::vector<std::string> parts = Path(i, &end);
    if (!Sym(end, "(")) return;
    Consume(i, end);
    if (i > 0 && Word(i - 1, "AS")) return;  // an alias with its columns: AS d(n)
    if (parts.size() == 1 && t_[i].kind == Token::Kind::kWord && In(kFromInside, t_[i].text)) {
      from_inside_parens_.insert(end);  // EXTRACT(YEAR FROM d): that FROM is the call's
    }
    const std::string& last = parts.back();
    if (HasEmptyPart(parts)) {
      Unresolved(absl::StrCat("the empty name ", absl::StrJoin(parts, ".")), i);
      return;
    }
    if (parts.size() > 3) {
      Unresolved(absl::StrCat("name ", absl::StrJoin(parts, "."), " (more than three parts)"), i);
      return;
    }
    if (In(kDataBuiltins, last)) {
      Unresolved(absl::StrCat("function ", absl::StrJoin(parts, ".")), i);
      return;
    }
    if (parts.size() == 1) {
      if (t_[i].kind == Token::Kind::kWord && In(kSyntaxBeforeParen, t_[i].text)) return;
      if (IsSqlBuiltin(last)) return;
    }
    Reference(SqlReference::Kind::kFunction, std::move(parts), i);
  }

  // Whether the word at `i` starts a clause that ends a FROM list at its depth. Only where
  // it can be nothing else: not an alias (after AS, or before a comma or a parenthesis that
  // closes), not a field (after '.'), not inside CASE … END, and followed by what its clause
  // needs (GROUP BY, UNION ALL/SELECT, WHEN MATCHED). Otherwise the list stays open, and a
  // name after a comma is read as a relation: more is checked, never less.
  bool EndsFromList(size_t i) const {
    const std::string& w = t_[i].text;
    if (!In(kEndsFromList, w)) return false;
    if (i > 0 && (Word(i - 1, "AS") || Sym(i - 1, "."))) return false;
    auto open_cases = cases_.find(depth_[i]);
    if (open_cases != cases_.end() && open_cases->second > 0) return false;
    const size_t n = i + 1;
    if (n >= t_.size() || Sym(n, ",") || Sym(n, ")") || Sym(n, ".")) return false;
    if (w == "GROUP" || w == "ORDER" || w == "SORT" || w == "CLUSTER" || w == "DISTRIBUTE") {
      return Word(n, "BY");
    }
    if (w == "UNION" || w == "EXCEPT" || w == "INTERSECT" || w == "MINUS") {
      return Word(n, "ALL") || Word(n, "DISTINCT") || QueryStart(n) || Sym(n, "(");
    }
    if (w == "WHEN") return Word(n, "MATCHED") || Word(n, "NOT");
    return true;
  }

  void Step(size_t i) {
    const Token& token = t_[i];
    const int depth = depth_[i];
    if (token.kind == Token::Kind::kSymbol) {
      if (token.text == "(") {
        if (from_inside_parens_.count(i) != 0) from_inside_.insert(depth + 1);
      } else if (token.text == ")") {
        // Everything opened inside these parentheses closes with them. Each entry is erased
        // once, so a statement of many parentheses and CTEs costs n log n, not n².
        const int outer = depth - 1;
        from_list_.erase(from_list_.upper_bound(outer), from_list_.end());
        cases_.erase(cases_.upper_bound(outer), cases_.end());
        from_inside_.erase(from_inside_.upper_bound(outer), from_inside_.end());
        for (auto scope = ctes_.upper_bound(outer); scope != ctes_.end();) {
          for (const std::string& name : scope->second) --cte_names_[name];
          scope = ctes_.erase(scope);
        }
        auto [from, to] = pending_ctes_.equal_range(i);
        for (auto it = from; it != to; ++it) {
          ctes_[it->second.first].push_back(it->second.second);
          ++cte_names_[it->second.second];
        }
      } else if (token.text == ",") {
        auto list = from_list_.find(depth);
        if (list != from_list_.end() && list->second) Relation(i + 1, SqlReference::Kind::kRead);
      } else if (token.text == "$" && Sym(i + 1, "{")) {
        Unresolved("variable substitution ${…}", i);
      }
      return;
    }
    if (token.kind == Token::Kind::kWord) {
      const std::string& w = token.text;
      if (w == "IDENTIFIER" && Sym(i + 1, "(")) {
        // A name computed from an expression, wherever it stands.
        consumed_[i] = true;
        Unresolved("IDENTIFIER clause", i);
        return;
      }
      if (w == "CASE") ++cases_[depth];
      if (w == "END" && cases_[depth] > 0) --cases_[depth];
      if (w == "FROM") {
        const bool inside_call = from_inside_.count(depth) != 0;
        const bool distinct_from =
            i >= 2 && Word(i - 1, "DISTINCT") &&
            (Word(i - 2, "IS") || (i >= 3 && Word(i - 2, "NOT") && Word(i - 3, "IS")));
        if (!inside_call && !distinct_from) {
          from_list_[depth] = true;
          const bool deletes = i > 0 && Word(i - 1, "DELETE");
          if (deletes) {
            Target(i + 1);
          } else {
            Relation(i + 1, SqlReference::Kind::kRead);
          }
        }
        return;
      }
      if (w == "JOIN") {
        Relation(i + 1, SqlReference::Kind::kRead);
        return;
      }
      if (w == "TABLE") {
        // INSERT's own TABLE keyword was consumed with its target.
        if (!consumed_[i] && (Sym(i + 1, "(") || (Name(i + 1) && !QueryStart(i + 1)))) {
          Relation(i + 1, SqlReference::Kind::kRead);
        }
        return;
      }
      if (w == "WITH") {
        Ctes(i);
        return;
      }
      const size_t evolution =
          Word(i + 1, "WITH") && Word(i + 2, "SCHEMA") && Word(i + 3, "EVOLUTION") ? 3 : 0;
      if (w == "INSERT" &&
          (Word(i + 1 + evolution, "INTO") || Word(i + 1 + evolution, "OVERWRITE"))) {
        Consume(i + 1, i + 2 + evolution);
        size_t j = i + 2 + evolution;
        if (Word(j, "TABLE")) consumed_[j++] = true;
        if (Word(j, "DIRECTORY") || Word(j, "LOCAL")) {
          dml_ = true;
          Unresolved("INSERT OVERWRITE DIRECTORY", j);
          return;
        }
        from_list_[depth] = false;
        Target(j, /*aliased=*/false);
        return;
      }
      if (w == "MERGE") {
        Merge(i);
        return;
      }
      if (w == "UPDATE" && Name(i + 1) && !Word(i + 1, "SET")) {
        Target(i + 1);
        return;
      }
      if (w == "DELETE") {
        dml_ = true;
        return;
      }
      if (w == "USING" && i + 1 < t_.size() && t_[i + 1].kind == Token::Kind::kString) {
        Unresolved("script USING '…'", i);
        return;
      }
      if (w == "LATERAL" && Word(i + 1, "VIEW")) {
        from_list_[depth] = false;
        return;
      }
      if (EndsFromList(i)) from_list_[depth] = false;
    }
    if (token.name() && !consumed_[i] && !(i > 0 && Sym(i - 1, "."))) Call(i);
  }

  const std::vector<Token> t_;
  const std::vector<size_t> match_;
  const std::vector<int> depth_;
  std::vector<bool> consumed_;
  bool dml_ = false;
  // Depths whose comma separates relations (a FROM list is open there).
  std::map<int, bool> from_list_;
  // Depths inside EXTRACT(…), SUBSTRING(…), …: their FROM is not a relation; and the
  // parentheses of such calls, found by Call().
  std::multiset<int> from_inside_;
  std::set<size_t> from_inside_parens_;
  // CASE … END open at each depth: their WHEN is not MERGE's.
  std::map<int, int> cases_;
  // Visible CTE names with the depth of their WITH; names waiting for their body to close.
  std::map<int, std::vector<std::string>> ctes_;  // by the depth of their WITH
  std::map<std::string, int> cte_names_;          // how many of each are visible
  std::multimap<size_t, std::pair<int, std::string>> pending_ctes_;
  SqlReferences out_;
};

}  // namespace

bool IsSqlBuiltin(absl::string_view name) {
  return std::binary_search(std::begin(kBuiltins), std::end(kBuiltins), name);
}

absl::StatusOr<SqlReferences> FindSqlReferences(absl::string_view sql, absl::string_view field) {
  absl::StatusOr<std::vector<Token>> lexed = Tokenize(sql, field);
  if (!lexed.ok()) return lexed.status();
  std::vector<Token> tokens = *std::move(lexed);
  // One statement: a ';' may end it, nothing may follow.
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != Token::Kind::kSymbol || tokens[i].text != ";") continue;
    for (size_t k = i + 1; k < tokens.size(); ++k) {
      if (tokens[k].kind != Token::Kind::kSymbol || tokens[k].text != ";") {
        return Unreadable(field, "a second statement (one statement per request)",
                          tokens[k].offset);
      }
    }
    tokens.resize(i);
    break;
  }
  if (tokens.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": no statement"));
  std::vector<size_t> match(tokens.size(), 0);
  std::vector<int> depth(tokens.size(), 0);
  std::vector<size_t> open;
  for (size_t i = 0; i < tokens.size(); ++i) {
    depth[i] = static_cast<int>(open.size());
    if (tokens[i].kind != Token::Kind::kSymbol) continue;
    if (tokens[i].text == "(") {
      open.push_back(i);
    } else if (tokens[i].text == ")") {
      if (open.empty()) return Unreadable(field, "')' closes nothing", tokens[i].offset);
      match[open.back()] = i;
      match[i] = open.back();
      open.pop_back();
      depth[i] = static_cast<int>(open.size()) + 1;
    }
  }
  if (!open.empty()) return Unreadable(field, "'(' is never closed", tokens[open.back()].offset);
  return Scanner(std::move(tokens), std::move(match), std::move(depth)).Run();
}

}  // namespace gateway::databricks
