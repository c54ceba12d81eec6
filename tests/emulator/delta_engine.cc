#include "tests/emulator/delta_engine.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "server/common/json.h"
#include "server/common/status_macros.h"
#include "tests/emulator/sql_lexer.h"

namespace emulator {
namespace {

namespace json = gateway::json;
using Kind = Token::Kind;
using Row = std::vector<std::optional<std::string>>;

absl::Status SqlError(absl::string_view error_class, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("[", error_class, "] ", message));
}

std::string Quote(absl::string_view identifier) {
  return absl::StrCat("\"", absl::StrReplaceAll(identifier, {{"\"", "\"\""}}), "\"");
}

std::string QuoteLiteral(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

std::string BackQuoted(absl::string_view a, absl::string_view b, absl::string_view c) {
  return absl::StrCat("`", a, "`.`", b, "`.`", c, "`");
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

std::string NewUuid(int64_t seed_a, int64_t seed_b) {
  return absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", static_cast<uint32_t>(seed_a * 2654435761u),
                         static_cast<uint32_t>(seed_b & 0xffff),
                         static_cast<uint32_t>((seed_a >> 4) & 0xfff),
                         static_cast<uint32_t>((seed_b >> 8) & 0xfff),
                         static_cast<uint64_t>(seed_a * 1000003 + seed_b) & 0xffffffffffffULL);
}

// Spark error class -> SQLSTATE, for the Statement Execution API's sql_state.
std::string SqlStateFor(absl::string_view error_class) {
  static const std::pair<const char*, const char*> kStates[] = {
      {"TABLE_OR_VIEW_NOT_FOUND", "42P01"},
      {"SCHEMA_NOT_FOUND", "42704"},
      {"CATALOG_NOT_FOUND", "42P08"},
      {"TABLE_OR_VIEW_ALREADY_EXISTS", "42P07"},
      {"SCHEMA_ALREADY_EXISTS", "42P06"},
      {"CATALOG_ALREADY_EXISTS", "42P04"},
      {"SCHEMA_NOT_EMPTY", "2BP01"},
      {"UNRESOLVED_COLUMN", "42703"},
      {"UNRESOLVED_ROUTINE", "42883"},
      {"PARSE_SYNTAX_ERROR", "42601"},
      {"CAST_INVALID_INPUT", "22018"},
      {"CAST_OVERFLOW", "22003"},
      {"NUMERIC_VALUE_OUT_OF_RANGE", "22003"},
      {"UNBOUND_SQL_PARAMETER", "42P02"},
      {"DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE", "21506"},
      {"DELTA_NOT_NULL_CONSTRAINT_VIOLATED", "23502"},
      {"DELTA_REPLACE_WHERE_MISMATCH", "44000"},
      {"INSERT_COLUMN_ARITY_MISMATCH", "21S01"},
      {"FIELDS_ALREADY_EXISTS", "42710"},
      {"UNSUPPORTED_DATATYPE", "0A000"},
      {"UNSUPPORTED_FEATURE", "0A000"},
      {"AMBIGUOUS_REFERENCE", "42704"},
      {"DELTA_ZORDERING_COLUMN_DOES_NOT_EXIST", "42703"},
      {"DELTA_FILE_NOT_FOUND_DETAILED", "42K03"},
      {"DELTA_VERSION_NOT_FOUND", "22003"},
      {"DELTA_TIMESTAMP_GREATER_THAN_COMMIT", "42816"},
      {"DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION", "42816"},
      {"DELTA_ONLY_OPERATION", "0AKDD"},
      {"NOT_SUPPORTED_CHANGE_COLUMN", "0A000"},
      {"DELTA_NON_PARTITION_COLUMN_REFERENCE", "42P10"},
      {"DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT", "22023"},
      {"INVALID_PARAMETER_VALUE", "22023"},
      {"DIVIDE_BY_ZERO", "22012"},
  };
  for (const auto& [prefix, state] : kStates) {
    if (absl::StartsWith(error_class, prefix)) return state;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// SQLite plumbing

SqlValue ReadValue(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return SqlValue(static_cast<int64_t>(sqlite3_value_int64(v)));
    case SQLITE_FLOAT:
      return SqlValue(sqlite3_value_double(v));
    case SQLITE_NULL:
      return SqlValue();
    default:
      return SqlValue(std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                                  sqlite3_value_bytes(v)));
  }
}

void WriteResult(sqlite3_context* ctx, const SqlValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    sqlite3_result_int64(ctx, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    sqlite3_result_double(ctx, *d);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    sqlite3_result_text(ctx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_result_null(ctx);
  }
}

// __gw_cast(value, 'type') and __gw_try_cast: Spark's ANSI CAST.
void CastFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv, bool try_cast) {
  if (argc != 2) {
    sqlite3_result_error(ctx, "cast takes a value and a type", -1);
    return;
  }
  const char* type_text = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  absl::StatusOr<SqlType> type = ParseSqlType(type_text == nullptr ? "" : type_text);
  if (!type.ok()) {
    sqlite3_result_error(ctx, std::string(type.status().message()).c_str(), -1);
    return;
  }
  absl::StatusOr<SqlValue> value = CastValue(ReadValue(argv[0]), *type);
  if (!value.ok()) {
    if (try_cast) {
      sqlite3_result_null(ctx);
    } else {
      sqlite3_result_error(ctx, std::string(value.status().message()).c_str(), -1);
    }
    return;
  }
  WriteResult(ctx, *value);
}

void Cast(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  CastFunction(ctx, argc, argv, false);
}
void TryCast(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  CastFunction(ctx, argc, argv, true);
}

void Concat(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
      sqlite3_result_null(ctx);
      return;
    }
    const SqlValue v = ReadValue(argv[i]);
    absl::StatusOr<SqlValue> s = CastValue(v, SqlType{SqlType::Kind::kString});
    out += std::get<std::string>(*s);
  }
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

void Now(sqlite3_context* ctx, int, sqlite3_value**) {
  const int64_t now = *static_cast<const int64_t*>(sqlite3_user_data(ctx));
  const std::string text = FormatTimestampMs(now);
  sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Today(sqlite3_context* ctx, int, sqlite3_value**) {
  const int64_t now = *static_cast<const int64_t*>(sqlite3_user_data(ctx));
  const std::string text = FormatTimestampMs(now).substr(0, 10);
  sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// Prepared statement with RAII finalize.
class Prepared {
 public:
  Prepared() = default;
  ~Prepared() { sqlite3_finalize(stmt_); }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// One statement being executed: parsing state, the rewriting of Spark SQL to SQLite, and the
// handlers for each statement kind.

class DeltaEngine::Statement {
 public:
  Statement(DeltaEngine* engine, std::vector<Token> tokens,
            const std::vector<SqlParameter>& parameters, const Session& session)
      : e_(*engine), t_(std::move(tokens)), session_(session) {
    for (const SqlParameter& p : parameters) params_[Lower(p.name)] = p;
  }

  absl::StatusOr<ResultSet> Run();

 private:
  // A table reference resolved for reading.
  struct TableRef {
    Table* table = nullptr;
    const TableVersion* version = nullptr;
  };

  // -- cursor --------------------------------------------------------------------------------
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
  const Token& Next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }
  bool Accept(absl::string_view keyword) {
    if (!Peek().Is(keyword)) return false;
    ++pos_;
    return true;
  }
  bool AcceptSymbol(absl::string_view symbol) {
    if (!Peek().IsSymbol(symbol)) return false;
    ++pos_;
    return true;
  }
  absl::Status Expect(absl::string_view keyword) {
    if (Accept(keyword)) return absl::OkStatus();
    return Unexpected(absl::StrCat("expected ", keyword));
  }
  absl::Status ExpectSymbol(absl::string_view symbol) {
    if (AcceptSymbol(symbol)) return absl::OkStatus();
    return Unexpected(absl::StrCat("expected '", symbol, "'"));
  }
  absl::Status ExpectEnd() {
    if (Peek().kind == Kind::kEnd) return absl::OkStatus();
    return Unexpected("expected the end of the statement");
  }
  absl::Status Unexpected(absl::string_view what) const {
    const Token& token = Peek();
    const std::string near = token.kind == Kind::kEnd ? "end of input" : token.text;
    return SqlError("PARSE_SYNTAX_ERROR",
                    absl::StrCat("Syntax error at or near '", near, "' (", what, ")."));
  }
  absl::StatusOr<std::string> Identifier() {
    if (!Peek().IsIdentifier()) return Unexpected("expected an identifier");
    return Next().text;
  }
  // Index of the token closing the parenthesis at `open`.
  absl::StatusOr<size_t> MatchingParen(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < t_.size(); ++i) {
      if (t_[i].IsSymbol("(")) ++depth;
      if (t_[i].IsSymbol(")") && --depth == 0) return i;
    }
    return SqlError("PARSE_SYNTAX_ERROR", "Syntax error: unbalanced parentheses.");
  }
  // First index in [from, to) of a keyword at parenthesis depth 0, or `to`.
  size_t FindTopLevel(size_t from, size_t to, absl::string_view keyword) const {
    int depth = 0;
    for (size_t i = from; i < to; ++i) {
      if (t_[i].IsSymbol("(")) ++depth;
      if (t_[i].IsSymbol(")")) --depth;
      if (depth == 0 && t_[i].Is(keyword)) return i;
    }
    return to;
  }
  size_t End() const { return t_.size() - 1; }
  // The comma-separated spans of [begin, end) at parenthesis depth 0.
  std::vector<std::pair<size_t, size_t>> SplitTopLevel(size_t begin, size_t end) const {
    std::vector<std::pair<size_t, size_t>> spans;
    size_t start = begin;
    int depth = 0;
    for (size_t k = begin; k < end; ++k) {
      if (t_[k].IsSymbol("(")) ++depth;
      if (t_[k].IsSymbol(")")) --depth;
      if (depth == 0 && t_[k].IsSymbol(",")) {
        spans.emplace_back(start, k);
        start = k + 1;
      }
    }
    if (start < end) spans.emplace_back(start, end);
    return spans;
  }
  // The tokens of [begin, end) as the user wrote them, for history parameters and messages.
  std::string TokenText(size_t begin, size_t end) const {
    std::string text;
    for (size_t k = begin; k < end; ++k) absl::StrAppend(&text, k > begin ? " " : "", t_[k].text);
    return text;
  }
  // [IF NOT EXISTS] / [IF EXISTS]: whether the clause was there.
  absl::StatusOr<bool> AcceptIfNotExists() {
    if (!Accept("IF")) return false;
    GW_RETURN_IF_ERROR(Expect("NOT"));
    GW_RETURN_IF_ERROR(Expect("EXISTS"));
    return true;
  }
  absl::StatusOr<bool> AcceptIfExists() {
    if (!Accept("IF")) return false;
    GW_RETURN_IF_ERROR(Expect("EXISTS"));
    return true;
  }
  // The rewritten expression of a span; a lone DEFAULT is NULL (no column defaults here).
  absl::StatusOr<std::string> Expression(size_t begin, size_t end) {
    if (end == begin + 1 && t_[begin].Is("DEFAULT")) return std::string(" NULL");
    std::string sql;
    GW_RETURN_IF_ERROR(Rewrite(begin, end, &sql));
    return sql;
  }
  // `col = expr, t.col = expr` in [begin, end): bare column names (SQLite wants them bare on
  // the left of SET) with their rewritten values.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Assignments(size_t begin,
                                                                               size_t end);

  // -- names ---------------------------------------------------------------------------------
  absl::StatusOr<std::vector<std::string>> NameParts() {
    std::vector<std::string> parts;
    GW_ASSIGN_OR_RETURN(std::string first, Identifier());
    parts.push_back(Lower(first));
    while (Peek().IsSymbol(".") && Peek(1).IsIdentifier()) {
      ++pos_;
      parts.push_back(Lower(Next().text));
    }
    if (parts.size() > 3)
      return SqlError("PARSE_SYNTAX_ERROR", "A table name has at most 3 parts.");
    return parts;
  }
  // catalog, schema, table with the session's defaults filled in.
  std::array<std::string, 3> Qualify(const std::vector<std::string>& parts) const {
    if (parts.size() == 3) return {parts[0], parts[1], parts[2]};
    if (parts.size() == 2) return {Lower(session_.catalog), parts[0], parts[1]};
    return {Lower(session_.catalog), Lower(session_.schema), parts[0]};
  }
  absl::StatusOr<Schema*> FindSchema(const std::string& catalog, const std::string& schema) {
    auto c = e_.catalogs_.find(catalog);
    if (c == e_.catalogs_.end()) {
      return SqlError("CATALOG_NOT_FOUND",
                      absl::StrCat("The catalog `", catalog, "` cannot be found."));
    }
    auto s = c->second.schemas.find(schema);
    if (s == c->second.schemas.end()) {
      return SqlError("SCHEMA_NOT_FOUND",
                      absl::StrCat("The schema `", catalog, "`.`", schema, "` cannot be found."));
    }
    return &s->second;
  }
  absl::StatusOr<Table*> FindTable(const std::array<std::string, 3>& name) {
    auto c = e_.catalogs_.find(name[0]);
    if (c != e_.catalogs_.end()) {
      auto s = c->second.schemas.find(name[1]);
      if (s != c->second.schemas.end()) {
        auto t = s->second.tables.find(name[2]);
        if (t != s->second.tables.end()) return t->second.get();
      }
    }
    return SqlError("TABLE_OR_VIEW_NOT_FOUND",
                    absl::StrCat("The table or view ", BackQuoted(name[0], name[1], name[2]),
                                 " cannot be found. Verify the spelling and correctness of the "
                                 "schema and catalog."));
  }
  absl::StatusOr<Table*> TableName() {
    GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
    return FindTable(Qualify(parts));
  }

  // -- versions and time travel --------------------------------------------------------------
  absl::StatusOr<int64_t> IntegerAt(const Token& token) {
    int64_t value = 0;
    if (token.kind == Kind::kNumber && absl::SimpleAtoi(token.text, &value)) return value;
    if (token.kind == Kind::kParam) {
      auto p = params_.find(Lower(token.text));
      if (p != params_.end() && p->second.value && absl::SimpleAtoi(*p->second.value, &value)) {
        used_params_.insert(Lower(token.text));
        return value;
      }
    }
    return SqlError("INVALID_PARAMETER_VALUE",
                    absl::StrCat("Expected a version number, found '", token.text, "'."));
  }
  absl::StatusOr<int64_t> TimestampAt(const Token& token) {
    std::optional<std::string> text;
    if (token.kind == Kind::kString) text = token.text;
    if (token.kind == Kind::kParam) {
      auto p = params_.find(Lower(token.text));
      if (p != params_.end()) {
        text = p->second.value;
        used_params_.insert(Lower(token.text));
      }
    }
    std::optional<int64_t> ms;
    if (text) ms = ParseTimestampMs(*text);
    if (!ms) {
      return SqlError("INVALID_PARAMETER_VALUE",
                      absl::StrCat("The emulator accepts only a literal or parameter castable to "
                                   "TIMESTAMP in TIMESTAMP AS OF, found '",
                                   token.text, "'."));
    }
    return *ms;
  }
  static absl::StatusOr<const TableVersion*> VersionById(const Table& table, int64_t version) {
    if (table.format != "DELTA") {
      return SqlError("DELTA_ONLY_OPERATION",
                      absl::StrCat("Time travel is only supported for Delta tables; ",
                                   table.FullName(), " is ", table.format, "."));
    }
    if (version < 0 || version >= static_cast<int64_t>(table.versions.size())) {
      return SqlError("DELTA_VERSION_NOT_FOUND",
                      absl::StrCat("Cannot time travel Delta table to version ", version,
                                   ". Available versions: [0, ", table.versions.size() - 1, "]."));
    }
    const TableVersion& v = table.versions[version];
    for (int64_t file : v.files) {
      if (table.files.at(file).deleted) {
        return SqlError("DELTA_FILE_NOT_FOUND_DETAILED",
                        absl::StrCat("File ", FilePath(table, file),
                                     " referenced in the transaction log cannot be found. Version ",
                                     version, " of ", table.FullName(), " was vacuumed."));
      }
    }
    return &v;
  }
  absl::StatusOr<const TableVersion*> VersionAtTime(const Table& table, int64_t ms) const {
    if (table.format != "DELTA") return VersionById(table, 0);
    if (ms < table.versions.front().timestamp_ms) {
      return SqlError("DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION",
                      absl::StrCat("The provided timestamp (", FormatTimestampMs(ms),
                                   ") is before the earliest version available to this table (",
                                   FormatTimestampMs(table.versions.front().timestamp_ms),
                                   "). Please use a timestamp after ",
                                   FormatTimestampMs(table.versions.front().timestamp_ms), "."));
    }
    if (ms > table.current().timestamp_ms && ms > e_.now_ms_) {
      return SqlError("DELTA_TIMESTAMP_GREATER_THAN_COMMIT",
                      absl::StrCat("The provided timestamp (", FormatTimestampMs(ms),
                                   ") is after the latest version available to this table (",
                                   FormatTimestampMs(table.current().timestamp_ms),
                                   "). Please use a timestamp before or at ",
                                   FormatTimestampMs(table.current().timestamp_ms), "."));
    }
    int64_t chosen = 0;
    for (const TableVersion& v : table.versions) {
      if (v.timestamp_ms <= ms) chosen = v.version;
    }
    return VersionById(table, chosen);
  }
  // Parses an optional temporal spec after a table name: VERSION AS OF n, TIMESTAMP AS OF t,
  // FOR SYSTEM_VERSION/SYSTEM_TIME AS OF, @v123, @yyyyMMddHHmmssSSS.
  absl::StatusOr<const TableVersion*> TemporalSpec(Table& table) {
    if (Peek().IsSymbol("@")) {
      ++pos_;
      const Token& spec = Next();
      if (spec.kind == Kind::kWord && (spec.upper[0] == 'V') && spec.upper.size() > 1) {
        int64_t version = 0;
        if (!absl::SimpleAtoi(spec.text.substr(1), &version)) {
          return SqlError("INVALID_PARAMETER_VALUE",
                          absl::StrCat("Invalid time travel spec @", spec.text, "."));
        }
        return VersionById(table, version);
      }
      if (spec.kind == Kind::kNumber && spec.text.size() == 17) {
        GW_ASSIGN_OR_RETURN(int64_t ms, TimestampAt(Token{Kind::kString, spec.text, "", 0}));
        return VersionAtTime(table, ms);
      }
      return SqlError("INVALID_PARAMETER_VALUE",
                      absl::StrCat("Invalid time travel spec @", spec.text,
                                   "; use @v<version> or @yyyyMMddHHmmssSSS."));
    }
    const size_t save = pos_;
    Accept("FOR");
    if (Accept("VERSION") || Accept("SYSTEM_VERSION")) {
      GW_RETURN_IF_ERROR(Expect("AS"));
      GW_RETURN_IF_ERROR(Expect("OF"));
      GW_ASSIGN_OR_RETURN(int64_t version, IntegerAt(Next()));
      return VersionById(table, version);
    }
    if (Accept("TIMESTAMP") || Accept("SYSTEM_TIME")) {
      GW_RETURN_IF_ERROR(Expect("AS"));
      GW_RETURN_IF_ERROR(Expect("OF"));
      GW_ASSIGN_OR_RETURN(int64_t ms, TimestampAt(Next()));
      return VersionAtTime(table, ms);
    }
    pos_ = save;
    return &table.current();
  }

  // -- rewriting expressions and queries to SQLite ---------------------------------------------
  absl::Status Rewrite(size_t begin, size_t end, std::string* out);
  absl::Status RewriteTableRef(size_t* i, size_t end, std::string* out);
  static bool IsClauseKeyword(const Token& token);

  // -- running SQLite ------------------------------------------------------------------------
  absl::Status Exec(const std::string& sql);
  absl::StatusOr<ResultSet> Query(const std::string& sql);
  absl::StatusOr<int64_t> ExecCount(const std::string& sql);  // returns changes()
  absl::StatusOr<int64_t> ScalarInt(const std::string& sql);
  absl::Status TranslateSqliteError(int rc, const std::string& sql);
  absl::Status BindAll(sqlite3_stmt* stmt);
  std::string PhysicalToName(std::string message) const;

  // -- table storage -------------------------------------------------------------------------
  std::string NewPhysical(const Table& table) {
    return absl::StrCat("d", table.id, "v", table.versions.size(), "_", e_.next_table_id_++);
  }
  absl::Status CreatePhysical(const std::string& physical, const std::vector<ColumnSpec>& columns);
  absl::Status CopyRows(const std::string& from, const std::vector<ColumnSpec>& from_columns,
                        const std::string& to, const std::vector<ColumnSpec>& to_columns);
  absl::Status Normalize(const Table& table, const std::string& physical,
                         const std::vector<ColumnSpec>& columns);
  absl::StatusOr<std::pair<int64_t, int64_t>> RowsAndBytes(const std::string& physical,
                                                           const std::vector<ColumnSpec>& columns);
  static std::string FilePath(const Table& table, int64_t file) {
    return absl::StrFormat("%s/part-%05d-%s.c000.snappy.parquet", table.storage_location, file,
                           table.table_id.substr(0, 8));
  }
  static int64_t AddFile(Table& table, int64_t rows, int64_t bytes) {
    const int64_t id = table.next_file_id++;
    table.files[id] = DataFile{rows, bytes, -1, false};
    return id;
  }
  // Starts the next version of `table` as a copy of the current one (new physical table).
  absl::StatusOr<TableVersion> BeginWrite(Table& table, bool copy_rows = true);
  int64_t CommitTime(const Table& table) const {
    return table.versions.empty() ? session_.now_ms
                                  : std::max(session_.now_ms, table.current().timestamp_ms + 1);
  }
  // The next version of `table`, starting from `base`'s schema, properties, files and data
  // (a new version shares its base's SQLite table until a write gives it its own).
  TableVersion NextVersion(const Table& table, const TableVersion& base) const {
    TableVersion next;
    next.version = static_cast<int64_t>(table.versions.size());
    next.user = session_.user;
    next.read_version = table.current().version;
    next.columns = base.columns;
    next.properties = base.properties;
    next.files = base.files;
    next.physical = base.physical;
    next.timestamp_ms = CommitTime(table);
    return next;
  }
  // Appends a finished version.
  void Append(Table& table, TableVersion next) {
    table.updated_at = next.timestamp_ms;
    table.updated_by = session_.user;
    table.versions.push_back(std::move(next));
  }
  // Finishes `next`: validates and normalizes values, replaces the file set, appends it.
  absl::Status Commit(Table& table, TableVersion next, bool rewrite_all_files,
                      int64_t appended_rows = 0);
  // The Delta table an UPDATE, DELETE or MERGE writes, and its alias (the table's own name
  // when none is given); `next_keyword` is the one that follows the alias.
  struct WriteTarget {
    Table* table;
    std::string alias;
  };
  absl::StatusOr<WriteTarget> Target(absl::string_view operation, absl::string_view next_keyword) {
    GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
    GW_ASSIGN_OR_RETURN(Table * table, FindTable(Qualify(parts)));
    GW_RETURN_IF_ERROR(RequireDelta(*table, operation));
    WriteTarget target{table, parts.back()};
    if (Accept("AS") || (Peek().IsIdentifier() && !Peek().Is(next_keyword))) {
      GW_ASSIGN_OR_RETURN(target.alias, Identifier());
    }
    return target;
  }
  static absl::Status RequireDelta(const Table& table, absl::string_view operation) {
    if (table.format == "DELTA") return absl::OkStatus();
    return SqlError("UNSUPPORTED_FEATURE.TABLE_OPERATION",
                    absl::StrCat("Table ", table.FullName(), " does not support ", operation,
                                 ". It is a ", table.format, " table; only Delta tables do."));
  }

  // -- statements ----------------------------------------------------------------------------
  absl::StatusOr<ResultSet> Select(size_t begin);
  absl::StatusOr<ResultSet> CreateTable(bool or_replace);
  absl::StatusOr<ResultSet> CreateSchema();
  absl::StatusOr<ResultSet> CreateCatalog();
  absl::StatusOr<ResultSet> Drop();
  absl::StatusOr<ResultSet> Insert();
  absl::StatusOr<ResultSet> Update();
  absl::StatusOr<ResultSet> Delete();
  absl::StatusOr<ResultSet> Merge();
  absl::StatusOr<ResultSet> Optimize();
  absl::StatusOr<ResultSet> Vacuum();
  absl::StatusOr<ResultSet> Restore();
  absl::StatusOr<ResultSet> Describe();
  absl::StatusOr<ResultSet> DescribeHistory(Table& table);
  static absl::StatusOr<ResultSet> DescribeDetail(Table& table);
  absl::StatusOr<ResultSet> AlterTable();
  absl::StatusOr<ResultSet> Convert();
  absl::StatusOr<ResultSet> Show();
  absl::StatusOr<std::vector<ColumnSpec>> ColumnDefinitions();
  absl::StatusOr<std::map<std::string, std::string>> Properties();
  static absl::Status CheckUnusedParameters();

  DeltaEngine& e_;
  std::vector<Token> t_;
  size_t pos_ = 0;
  const Session& session_;
  std::map<std::string, SqlParameter> params_;
  std::set<std::string> used_params_;
  std::set<std::string> cte_names_;
  // Tables read by the statement (for readVersion / isBlindAppend).
  std::set<int64_t> tables_read_;
  bool bound_ = false;
};

// ---------------------------------------------------------------------------------------------
// Rewriting

bool DeltaEngine::Statement::IsClauseKeyword(const Token& token) {
  static const std::set<std::string> kWords = {
      "WHERE",   "JOIN",       "INNER",          "LEFT",        "RIGHT",
      "FULL",    "CROSS",      "NATURAL",        "ON",          "USING",
      "GROUP",   "ORDER",      "HAVING",         "LIMIT",       "UNION",
      "EXCEPT",  "INTERSECT",  "WINDOW",         "SET",         "WHEN",
      "OFFSET",  "LATERAL",    "VERSION",        "TIMESTAMP",   "FOR",
      "CLUSTER", "DISTRIBUTE", "SORT",           "TABLESAMPLE", "ANTI",
      "SEMI",    "QUALIFY",    "SYSTEM_VERSION", "SYSTEM_TIME", "PIVOT",
      "UNPIVOT", "MINUS",      "SELECT",         "VALUES"};
  return token.kind == Kind::kWord && kWords.count(token.upper) > 0;
}

absl::Status DeltaEngine::Statement::RewriteTableRef(size_t* i, size_t end, std::string* out) {
  const size_t save = pos_;
  pos_ = *i;
  GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
  // range(n), range(a, b[, step]): Spark's table-valued function.
  if (parts.size() == 1 && parts[0] == "range" && Peek().IsSymbol("(")) {
    GW_ASSIGN_OR_RETURN(size_t close, MatchingParen(pos_));
    std::vector<std::string> args;
    for (const auto& [begin, end] : SplitTopLevel(pos_ + 1, close)) {
      std::string arg;
      GW_RETURN_IF_ERROR(Rewrite(begin, end, &arg));
      args.push_back("(" + arg + ")");
    }
    std::string start = "0";
    std::string stop;
    std::string step = "1";
    if (args.size() == 1) {
      stop = args[0];
    } else if (args.size() == 2 || args.size() == 3) {
      start = args[0];
      stop = args[1];
      if (args.size() == 3) step = args[2];
    } else {
      return SqlError("WRONG_NUM_ARGS", "range() takes 1 to 3 arguments.");
    }
    absl::StrAppend(out, " (WITH RECURSIVE __r(id) AS (SELECT ", start, " WHERE ", start, " < ",
                    stop, " UNION ALL SELECT id + ", step, " FROM __r WHERE id + ", step, " < ",
                    stop, ") SELECT id FROM __r)");
    pos_ = close + 1;
    if (!Peek().Is("AS") && !(Peek().IsIdentifier() && !IsClauseKeyword(Peek()))) {
      absl::StrAppend(out, " AS \"range\"");
    }
    *i = pos_;
    pos_ = save;
    return absl::OkStatus();
  }
  if (parts.size() == 1 && cte_names_.count(parts[0]) > 0) {
    absl::StrAppend(out, " ", Quote(parts[0]));
    *i = pos_;
    pos_ = save;
    return absl::OkStatus();
  }
  GW_ASSIGN_OR_RETURN(Table * table, FindTable(Qualify(parts)));
  GW_ASSIGN_OR_RETURN(const TableVersion* version, TemporalSpec(*table));
  tables_read_.insert(table->id);
  absl::StrAppend(out, " ", Quote(version->physical));
  const bool has_alias =
      pos_ < end && (Peek().Is("AS") || (Peek().IsIdentifier() && !IsClauseKeyword(Peek())));
  if (!has_alias) absl::StrAppend(out, " AS ", Quote(parts.back()));
  *i = pos_;
  pos_ = save;
  return absl::OkStatus();
}

absl::Status DeltaEngine::Statement::Rewrite(size_t begin, size_t end, std::string* out) {
  bool expect_table = false;
  int depth = 0;
  int from_depth = -1;
  size_t i = begin;
  // WITH name AS (...): remember CTE names so they are not resolved as tables.
  for (size_t k = begin; k + 2 < end; ++k) {
    if ((t_[k].Is("WITH") || t_[k].IsSymbol(",")) && t_[k + 1].IsIdentifier() &&
        t_[k + 2].Is("AS") && k + 3 < end && t_[k + 3].IsSymbol("(")) {
      cte_names_.insert(Lower(t_[k + 1].text));
    }
    if (t_[k].Is("RECURSIVE") && t_[k + 1].IsIdentifier()) cte_names_.insert(Lower(t_[k + 1].text));
  }
  while (i < end) {
    const Token& tok = t_[i];
    if (expect_table) {
      expect_table = false;
      if (tok.IsIdentifier() && !IsClauseKeyword(tok)) {
        GW_RETURN_IF_ERROR(RewriteTableRef(&i, end, out));
        continue;
      }
    }
    if (tok.IsSymbol("(")) ++depth;
    if (tok.IsSymbol(")")) {
      if (depth == from_depth) from_depth = -1;
      --depth;
    }
    if (tok.Is("FROM") || tok.Is("JOIN")) {
      const bool distinct_from = i > begin && t_[i - 1].Is("DISTINCT");
      if (!distinct_from) {
        expect_table = true;
        if (tok.Is("FROM")) from_depth = depth;
      }
      absl::StrAppend(out, " ", tok.upper);
      ++i;
      continue;
    }
    if (from_depth == depth && tok.kind == Kind::kWord && IsClauseKeyword(tok) && !tok.Is("AS") &&
        !tok.Is("JOIN")) {
      if (!tok.Is("INNER") && !tok.Is("LEFT") && !tok.Is("RIGHT") && !tok.Is("FULL") &&
          !tok.Is("CROSS") && !tok.Is("NATURAL") && !tok.Is("ANTI") && !tok.Is("SEMI") &&
          !tok.Is("ON") && !tok.Is("USING")) {
        from_depth = -1;
      }
    }
    if (tok.IsSymbol(",") && from_depth == depth) {
      expect_table = true;
      absl::StrAppend(out, " ,");
      ++i;
      continue;
    }
    switch (tok.kind) {
      case Kind::kWord: {
        if ((tok.Is("CAST") || tok.Is("TRY_CAST")) && i + 1 < end && t_[i + 1].IsSymbol("(")) {
          GW_ASSIGN_OR_RETURN(size_t close, MatchingParen(i + 1));
          size_t as = close;
          int d = 0;
          for (size_t k = i + 1; k < close; ++k) {
            if (t_[k].IsSymbol("(")) ++d;
            if (t_[k].IsSymbol(")")) --d;
            if (d == 1 && t_[k].Is("AS")) as = k;
          }
          if (as == close) return SqlError("PARSE_SYNTAX_ERROR", "CAST needs AS <type>.");
          std::string type_text;
          for (size_t k = as + 1; k < close; ++k) type_text += t_[k].text;
          GW_ASSIGN_OR_RETURN(SqlType type, ParseSqlType(type_text));
          std::string inner;
          GW_RETURN_IF_ERROR(Rewrite(i + 2, as, &inner));
          absl::StrAppend(out, tok.Is("CAST") ? " __gw_cast(" : " __gw_try_cast(", inner, ", ",
                          QuoteLiteral(type.Text()), ")");
          i = close + 1;
          continue;
        }
        // Typed literals: DATE '2026-01-01', TIMESTAMP '...'.
        if ((tok.Is("DATE") || tok.Is("TIMESTAMP") || tok.Is("TIMESTAMP_NTZ")) && i + 1 < end &&
            t_[i + 1].kind == Kind::kString) {
          absl::StrAppend(out, " __gw_cast(", QuoteLiteral(t_[i + 1].text), ", ",
                          QuoteLiteral(Lower(tok.text)), ")");
          i += 2;
          continue;
        }
        if ((tok.Is("CURRENT_TIMESTAMP") || tok.Is("NOW")) || (tok.Is("CURRENT_DATE"))) {
          const bool date = tok.Is("CURRENT_DATE");
          absl::StrAppend(out, date ? " __gw_today()" : " __gw_now()");
          if (i + 2 < end && t_[i + 1].IsSymbol("(") && t_[i + 2].IsSymbol(")")) i += 2;
          ++i;
          continue;
        }
        if ((tok.Is("IF") || tok.Is("NVL") || tok.Is("RAND")) && i + 1 < end &&
            t_[i + 1].IsSymbol("(")) {
          absl::StrAppend(out, tok.Is("IF") ? " iif" : tok.Is("NVL") ? " ifnull" : " random");
          ++i;
          continue;
        }
        // SQLite reserves words Spark lets users name things with; quote those, and every
        // alias, so they stay identifiers.
        static const std::set<std::string> kSqliteOnly = {
            "ABORT",    "ACTION",    "ANALYZE", "ATTACH",    "AUTOINCREMENT", "CONFLICT",
            "DEFERRED", "DETACH",    "DO",      "EXCLUSIVE", "FAIL",          "GLOB",
            "IGNORE",   "IMMEDIATE", "INDEXED", "INSTEAD",   "ISNULL",        "NOTHING",
            "NOTNULL",  "PLAN",      "PRAGMA",  "QUERY",     "RAISE",         "REGEXP",
            "REINDEX",  "RELEASE",   "RENAME",  "SAVEPOINT", "TEMP",          "TEMPORARY",
            "TRIGGER",  "VACUUM",    "VIEW",    "VIRTUAL",   "WITHOUT"};
        const bool alias = i > begin && t_[i - 1].Is("AS");
        if (alias || kSqliteOnly.count(tok.upper) > 0) {
          absl::StrAppend(out, " ", Quote(tok.text));
        } else {
          absl::StrAppend(out, " ", tok.text);
        }
        break;
      }
      case Kind::kQuotedIdent:
        absl::StrAppend(out, " ", Quote(tok.text));
        break;
      case Kind::kString:
        absl::StrAppend(out, " ", QuoteLiteral(tok.text));
        break;
      case Kind::kNumber:
        absl::StrAppend(out, " ", tok.text);
        break;
      case Kind::kParam:
        if (params_.count(Lower(tok.text)) == 0) {
          return SqlError("UNBOUND_SQL_PARAMETER",
                          absl::StrCat("Found the unbound parameter: ", tok.text,
                                       ". Please, fix `args` and provide a mapping of the "
                                       "parameter to either a SQL literal or collection "
                                       "constructor functions such as `map()`, `array()`, "
                                       "`struct()`."));
        }
        used_params_.insert(Lower(tok.text));
        absl::StrAppend(out, " :", Lower(tok.text));
        bound_ = true;
        break;
      case Kind::kSymbol:
        if (tok.text == "<=>") {
          absl::StrAppend(out, " IS");
        } else if (tok.text == "::" || tok.text == "->" || tok.text == "[" || tok.text == "]" ||
                   tok.text == "{" || tok.text == "}") {
          return SqlError("UNSUPPORTED_FEATURE",
                          absl::StrCat("The emulator does not support '", tok.text, "' in SQL."));
        } else {
          absl::StrAppend(out, " ", tok.text);
        }
        break;
      case Kind::kEnd:
        break;
    }
    ++i;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
DeltaEngine::Statement::Assignments(size_t begin, size_t end) {
  std::vector<std::pair<std::string, std::string>> assignments;
  for (const auto& [start, stop] : SplitTopLevel(begin, end)) {
    size_t eq = start;
    while (eq < stop && !t_[eq].IsSymbol("=")) ++eq;
    if (eq == stop || eq == start) {
      return SqlError("PARSE_SYNTAX_ERROR", absl::StrCat("Expected column = value in SET, found '",
                                                         TokenText(start, stop), "'."));
    }
    GW_ASSIGN_OR_RETURN(std::string value, Expression(eq + 1, stop));
    assignments.emplace_back(Lower(t_[eq - 1].text), std::move(value));
  }
  return assignments;
}

// ---------------------------------------------------------------------------------------------
// SQLite execution

std::string DeltaEngine::Statement::PhysicalToName(std::string message) const {
  // Physical names look like d12v3_45; show the user's table name instead.
  for (const auto& [id, table] : e_.tables_by_id_) {
    for (const TableVersion& v : table->versions) {
      if (!v.physical.empty() && absl::StrContains(message, v.physical)) {
        message = absl::StrReplaceAll(message, {{v.physical, table->FullName()}});
      }
    }
  }
  return message;
}

absl::Status DeltaEngine::Statement::TranslateSqliteError(int rc, const std::string& sql) {
  (void)rc;
  (void)sql;
  std::string message = PhysicalToName(sqlite3_errmsg(e_.db_));
  if (absl::StartsWith(message, "[")) return absl::InvalidArgumentError(message);
  auto after = [&](absl::string_view prefix) { return message.substr(prefix.size()); };
  if (absl::StartsWith(message, "no such column: ")) {
    return SqlError("UNRESOLVED_COLUMN.WITHOUT_SUGGESTION",
                    absl::StrCat("A column, variable, or function parameter with name `",
                                 after("no such column: "), "` cannot be resolved."));
  }
  if (absl::StartsWith(message, "no such function: ")) {
    return SqlError("UNRESOLVED_ROUTINE",
                    absl::StrCat("Cannot resolve routine `", after("no such function: "),
                                 "` on search path [`system`.`builtin`, `system`.`session`]."));
  }
  if (absl::StartsWith(message, "ambiguous column name: ")) {
    return SqlError(
        "AMBIGUOUS_REFERENCE",
        absl::StrCat("Reference `", after("ambiguous column name: "), "` is ambiguous."));
  }
  if (absl::StrContains(message, "syntax error") ||
      absl::StrContains(message, "incomplete input")) {
    return SqlError("PARSE_SYNTAX_ERROR", absl::StrCat("Syntax error: ", message, "."));
  }
  if (absl::StrContains(message, "values were supplied") ||
      absl::StrContains(message, "columns but")) {
    return SqlError("INSERT_COLUMN_ARITY_MISMATCH",
                    absl::StrCat("Cannot write to the table: ", message, "."));
  }
  if (absl::StrContains(message, "has no column named")) {
    return SqlError("UNRESOLVED_COLUMN.WITHOUT_SUGGESTION", message);
  }
  return SqlError(
      "UNSUPPORTED_FEATURE",
      absl::StrCat("The emulator's SQL engine (SQLite) refused the statement: ", message, "."));
}

absl::Status DeltaEngine::Statement::BindAll(sqlite3_stmt* stmt) {
  const int count = sqlite3_bind_parameter_count(stmt);
  for (int index = 1; index <= count; ++index) {
    const char* raw = sqlite3_bind_parameter_name(stmt, index);
    if (raw == nullptr) continue;
    const std::string name = Lower(raw + 1);
    auto it = params_.find(name);
    if (it == params_.end()) {
      return SqlError("UNBOUND_SQL_PARAMETER",
                      absl::StrCat("Found the unbound parameter: ", name, "."));
    }
    const SqlParameter& p = it->second;
    if (!p.value) {
      sqlite3_bind_null(stmt, index);
      continue;
    }
    absl::StatusOr<SqlType> type = ParseSqlType(p.type.empty() ? "STRING" : p.type);
    if (!type.ok()) {
      return SqlError(
          "INVALID_PARAMETER_VALUE",
          absl::StrCat("Parameter ", p.name, " has an unsupported type '", p.type, "'."));
    }
    absl::StatusOr<SqlValue> value = CastValue(SqlValue(*p.value), *type);
    if (!value.ok()) return value.status();
    if (const auto* n = std::get_if<int64_t>(&*value)) {
      sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&*value)) {
      sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&*value)) {
      sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    }
  }
  return absl::OkStatus();
}

absl::Status DeltaEngine::Statement::Exec(const std::string& sql) {
  return ExecCount(sql).status();
}

absl::StatusOr<int64_t> DeltaEngine::Statement::ExecCount(const std::string& sql) {
  Prepared stmt;
  int rc =
      sqlite3_prepare_v2(e_.db_, sql.c_str(), static_cast<int>(sql.size()), stmt.out(), nullptr);
  if (rc != SQLITE_OK) return TranslateSqliteError(rc, sql);
  GW_RETURN_IF_ERROR(BindAll(stmt.get()));
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return TranslateSqliteError(rc, sql);
  return static_cast<int64_t>(sqlite3_changes64(e_.db_));
}

absl::StatusOr<int64_t> DeltaEngine::Statement::ScalarInt(const std::string& sql) {
  GW_ASSIGN_OR_RETURN(ResultSet result, Query(sql));
  int64_t value = 0;
  if (!result.rows.empty() && result.rows[0][0]) absl::SimpleAtoi(*result.rows[0][0], &value);
  return value;
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Query(const std::string& sql) {
  Prepared stmt;
  int rc =
      sqlite3_prepare_v2(e_.db_, sql.c_str(), static_cast<int>(sql.size()), stmt.out(), nullptr);
  if (rc != SQLITE_OK) return TranslateSqliteError(rc, sql);
  GW_RETURN_IF_ERROR(BindAll(stmt.get()));
  const int n = sqlite3_column_count(stmt.get());
  ResultSet result;
  std::vector<std::optional<SqlType>> declared(n);
  for (int c = 0; c < n; ++c) {
    ResultColumn column;
    column.name = sqlite3_column_name(stmt.get(), c);
    // A column read straight from a table version has that table's declared type.
    const char* table = sqlite3_column_table_name(stmt.get(), c);
    const char* origin = sqlite3_column_origin_name(stmt.get(), c);
    if (table != nullptr && origin != nullptr) {
      for (const auto& [id, t] : e_.tables_by_id_) {
        for (const TableVersion& v : t->versions) {
          if (v.physical != table) continue;
          for (const ColumnSpec& spec : v.columns) {
            if (absl::EqualsIgnoreCase(spec.name, origin)) declared[c] = spec.type;
          }
        }
      }
    }
    result.columns.push_back(column);
  }
  std::vector<std::vector<SqlValue>> raw;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    std::vector<SqlValue> row(n);
    for (int c = 0; c < n; ++c) row[c] = ReadValue(sqlite3_column_value(stmt.get(), c));
    raw.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return TranslateSqliteError(rc, sql);
  for (int c = 0; c < n; ++c) {
    if (declared[c]) {
      result.columns[c].type = *declared[c];
      continue;
    }
    // An expression: Databricks would report its type; infer it from the values.
    bool any_double = false;
    bool any_int = false;
    bool any_text = false;
    for (const auto& row : raw) {
      any_double |= std::holds_alternative<double>(row[c]);
      any_int |= std::holds_alternative<int64_t>(row[c]);
      any_text |= std::holds_alternative<std::string>(row[c]);
    }
    SqlType type;
    type.kind = any_text     ? SqlType::Kind::kString
                : any_double ? SqlType::Kind::kDouble
                : any_int    ? SqlType::Kind::kLong
                             : SqlType::Kind::kString;
    result.columns[c].type = type;
  }
  result.rows.reserve(raw.size());
  for (const auto& row : raw) {
    std::vector<std::optional<std::string>> out(n);
    for (int c = 0; c < n; ++c) out[c] = FormatValue(row[c], result.columns[c].type);
    result.rows.push_back(std::move(out));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Storage of versions

absl::Status DeltaEngine::Statement::CreatePhysical(const std::string& physical,
                                                    const std::vector<ColumnSpec>& columns) {
  std::vector<std::string> defs;
  defs.reserve(columns.size());
  for (const ColumnSpec& c : columns) {
    defs.push_back(absl::StrCat(Quote(c.name), " ", c.type.SqliteDecl()));
  }
  return Exec(absl::StrCat("CREATE TABLE ", Quote(physical), " (", absl::StrJoin(defs, ", "), ")"));
}

absl::Status DeltaEngine::Statement::CopyRows(const std::string& from,
                                              const std::vector<ColumnSpec>& from_columns,
                                              const std::string& to,
                                              const std::vector<ColumnSpec>& to_columns) {
  std::vector<std::string> target;
  std::vector<std::string> source;
  for (const ColumnSpec& c : to_columns) {
    for (const ColumnSpec& f : from_columns) {
      if (absl::EqualsIgnoreCase(f.name, c.name)) {
        target.push_back(Quote(c.name));
        source.push_back(Quote(f.name));
      }
    }
  }
  if (target.empty()) return absl::OkStatus();
  return Exec(absl::StrCat("INSERT INTO ", Quote(to), " (", absl::StrJoin(target, ", "),
                           ") SELECT ", absl::StrJoin(source, ", "), " FROM ", Quote(from)));
}

absl::Status DeltaEngine::Statement::Normalize(const Table& table, const std::string& physical,
                                               const std::vector<ColumnSpec>& columns) {
  // Delta enforces the schema on write: cast every value to its column's type (ANSI: bad
  // values fail the statement) and refuse NULL in NOT NULL columns.
  std::vector<std::string> sets;
  sets.reserve(columns.size());
  for (const ColumnSpec& c : columns) {
    sets.push_back(absl::StrCat(Quote(c.name), " = __gw_cast(", Quote(c.name), ", ",
                                QuoteLiteral(c.type.Text()), ")"));
  }
  if (!sets.empty()) {
    GW_RETURN_IF_ERROR(
        Exec(absl::StrCat("UPDATE ", Quote(physical), " SET ", absl::StrJoin(sets, ", "))));
  }
  for (const ColumnSpec& c : columns) {
    if (c.nullable) continue;
    GW_ASSIGN_OR_RETURN(int64_t nulls,
                        ScalarInt(absl::StrCat("SELECT count(*) FROM ", Quote(physical), " WHERE ",
                                               Quote(c.name), " IS NULL")));
    if (nulls > 0) {
      return SqlError("DELTA_NOT_NULL_CONSTRAINT_VIOLATED",
                      absl::StrCat("NOT NULL constraint violated for column: ", c.name, " of ",
                                   table.FullName(), "."));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<int64_t, int64_t>> DeltaEngine::Statement::RowsAndBytes(
    const std::string& physical, const std::vector<ColumnSpec>& columns) {
  std::vector<std::string> lengths;
  lengths.reserve(columns.size());
  for (const ColumnSpec& c : columns)
    lengths.push_back(absl::StrCat("ifnull(length(", Quote(c.name), "), 0)"));
  if (lengths.empty()) lengths.emplace_back("0");
  GW_ASSIGN_OR_RETURN(
      ResultSet r, Query(absl::StrCat("SELECT count(*), ifnull(sum(", absl::StrJoin(lengths, " + "),
                                      "), 0) FROM ", Quote(physical))));
  int64_t rows = 0;
  int64_t bytes = 0;
  absl::SimpleAtoi(r.rows[0][0].value_or("0"), &rows);
  absl::SimpleAtoi(r.rows[0][1].value_or("0"), &bytes);
  return std::make_pair(rows, bytes);
}

absl::StatusOr<TableVersion> DeltaEngine::Statement::BeginWrite(Table& table, bool copy_rows) {
  const TableVersion& current = table.current();
  TableVersion next = NextVersion(table, current);
  next.physical = NewPhysical(table);
  GW_RETURN_IF_ERROR(CreatePhysical(next.physical, next.columns));
  if (copy_rows) {
    GW_RETURN_IF_ERROR(CopyRows(current.physical, current.columns, next.physical, next.columns));
  }
  return next;
}

absl::Status DeltaEngine::Statement::Commit(Table& table, TableVersion next, bool rewrite_all_files,
                                            int64_t appended_rows) {
  GW_RETURN_IF_ERROR(Normalize(table, next.physical, next.columns));
  next.timestamp_ms = CommitTime(table);
  GW_ASSIGN_OR_RETURN(auto rows_bytes, RowsAndBytes(next.physical, next.columns));
  if (rewrite_all_files) {
    for (int64_t f : next.files) table.files[f].removed_ms = next.timestamp_ms;
    next.files.clear();
    if (rows_bytes.first > 0)
      next.files.push_back(AddFile(table, rows_bytes.first, rows_bytes.second));
  } else if (appended_rows > 0) {
    const int64_t bytes =
        rows_bytes.first == 0 ? 0 : rows_bytes.second * appended_rows / rows_bytes.first;
    next.files.push_back(AddFile(table, appended_rows, bytes));
  }
  Append(table, std::move(next));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Statements

absl::Status DeltaEngine::Statement::CheckUnusedParameters() { return absl::OkStatus(); }

absl::StatusOr<ResultSet> DeltaEngine::Statement::Run() {
  const Token& first = Peek();
  if (first.Is("SELECT") || first.Is("WITH") || first.Is("VALUES") || first.IsSymbol("(")) {
    return Select(0);
  }
  if (Accept("CREATE")) {
    const bool or_replace = Accept("OR") ? (Accept("REPLACE"), true) : false;
    if (Peek().Is("TABLE")) return CreateTable(or_replace);
    if (Peek().Is("SCHEMA") || Peek().Is("DATABASE")) return CreateSchema();
    if (Peek().Is("CATALOG")) return CreateCatalog();
    return Unexpected("the emulator supports CREATE TABLE, SCHEMA and CATALOG");
  }
  if (Peek().Is("REPLACE") && Peek(1).Is("TABLE")) {
    ++pos_;
    return CreateTable(true);
  }
  if (Accept("DROP")) return Drop();
  if (Accept("INSERT")) return Insert();
  if (Accept("UPDATE")) return Update();
  if (Accept("DELETE")) return Delete();
  if (Accept("MERGE")) return Merge();
  if (Accept("OPTIMIZE")) return Optimize();
  if (Accept("VACUUM")) return Vacuum();
  if (Accept("RESTORE")) return Restore();
  if (Accept("DESCRIBE") || Accept("DESC")) return Describe();
  if (Accept("ALTER")) return AlterTable();
  if (Accept("CONVERT")) return Convert();
  if (Accept("SHOW")) return Show();
  if (first.kind == Kind::kEnd) return SqlError("PARSE_SYNTAX_ERROR", "The statement is empty.");
  return SqlError(
      "UNSUPPORTED_FEATURE",
      absl::StrCat("The emulator does not support statements starting with '", first.text, "'."));
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Select(size_t begin) {
  std::string sql;
  GW_RETURN_IF_ERROR(Rewrite(begin, End(), &sql));
  return Query(sql);
}

absl::StatusOr<std::vector<ColumnSpec>> DeltaEngine::Statement::ColumnDefinitions() {
  GW_RETURN_IF_ERROR(ExpectSymbol("("));
  std::vector<ColumnSpec> columns;
  while (true) {
    ColumnSpec column;
    GW_ASSIGN_OR_RETURN(column.name, Identifier());
    column.name = Lower(column.name);
    // The type runs until NOT / COMMENT / ',' / ')' at depth 0.
    std::string type_text;
    int depth = 0;
    while (Peek().kind != Kind::kEnd) {
      if (depth == 0 && (Peek().IsSymbol(",") || Peek().IsSymbol(")") || Peek().Is("NOT") ||
                         Peek().Is("COMMENT") || Peek().Is("DEFAULT") || Peek().Is("GENERATED") ||
                         Peek().Is("FIRST") || Peek().Is("AFTER") || Peek().Is("NULL"))) {
        break;
      }
      if (Peek().IsSymbol("(") || Peek().IsSymbol("<")) ++depth;
      if (Peek().IsSymbol(")") || Peek().IsSymbol(">")) --depth;
      type_text += Next().text;
    }
    GW_ASSIGN_OR_RETURN(column.type, ParseSqlType(type_text));
    while (true) {
      if (Accept("NOT")) {
        GW_RETURN_IF_ERROR(Expect("NULL"));
        column.nullable = false;
      } else if (Accept("NULL")) {
        column.nullable = true;
      } else if (Accept("COMMENT")) {
        if (Peek().kind != Kind::kString) return Unexpected("expected a comment string");
        column.comment = Next().text;
      } else if (Peek().Is("DEFAULT") || Peek().Is("GENERATED")) {
        return SqlError("UNSUPPORTED_FEATURE",
                        "The emulator does not support column defaults or generated columns.");
      } else {
        break;
      }
    }
    for (const ColumnSpec& existing : columns) {
      if (existing.name == column.name) {
        return SqlError("COLUMN_ALREADY_EXISTS",
                        absl::StrCat("The column `", column.name, "` already exists."));
      }
    }
    columns.push_back(std::move(column));
    if (AcceptSymbol(",")) continue;
    if (Peek().Is("FIRST") || Peek().Is("AFTER")) break;
    GW_RETURN_IF_ERROR(ExpectSymbol(")"));
    return columns;
  }
  return columns;
}

absl::StatusOr<std::map<std::string, std::string>> DeltaEngine::Statement::Properties() {
  std::map<std::string, std::string> properties;
  GW_RETURN_IF_ERROR(ExpectSymbol("("));
  while (true) {
    std::string key;
    if (Peek().kind == Kind::kString) {
      key = Next().text;
    } else {
      GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
      key = absl::StrJoin(parts, ".");
    }
    std::string value;
    if (AcceptSymbol("=")) {
      const Token& v = Next();
      value = v.kind == Kind::kWord ? Lower(v.text) : v.text;
    }
    properties[key] = value;
    if (AcceptSymbol(",")) continue;
    GW_RETURN_IF_ERROR(ExpectSymbol(")"));
    return properties;
  }
}

namespace {

ResultSet AffectedRows(const std::vector<std::pair<std::string, int64_t>>& counts) {
  ResultSet result;
  std::vector<std::optional<std::string>> row;
  for (const auto& [name, value] : counts) {
    result.columns.push_back({name, SqlType{SqlType::Kind::kLong}, ""});
    row.emplace_back(absl::StrCat(value));
  }
  result.rows.push_back(std::move(row));
  return result;
}

std::string JsonList(const std::vector<std::string>& items) {
  json::Value list = json::Value::EmptyArray();
  for (const std::string& item : items) list.Append(item);
  return list.Dump();
}

}  // namespace

absl::StatusOr<ResultSet> DeltaEngine::Statement::CreateTable(bool or_replace) {
  GW_RETURN_IF_ERROR(Expect("TABLE"));
  GW_ASSIGN_OR_RETURN(const bool if_not_exists, AcceptIfNotExists());
  GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
  const std::array<std::string, 3> name = Qualify(parts);
  GW_ASSIGN_OR_RETURN(Schema * schema, FindSchema(name[0], name[1]));
  auto existing_it = schema->tables.find(name[2]);
  Table* existing = existing_it == schema->tables.end() ? nullptr : existing_it->second.get();
  if (existing != nullptr && if_not_exists) return ResultSet{};
  if (existing != nullptr && !or_replace) {
    return SqlError(
        "TABLE_OR_VIEW_ALREADY_EXISTS",
        absl::StrCat("Cannot create table or view ", BackQuoted(name[0], name[1], name[2]),
                     " because it already exists."));
  }

  std::vector<ColumnSpec> columns;
  if (Peek().IsSymbol("(")) {
    GW_ASSIGN_OR_RETURN(columns, ColumnDefinitions());
  }
  std::string format = "DELTA";
  std::string comment;
  std::vector<std::string> partitions;
  std::map<std::string, std::string> properties;
  // Table clauses, in any order.
  while (true) {
    if (Accept("USING")) {
      GW_ASSIGN_OR_RETURN(format, Identifier());
      format = absl::AsciiStrToUpper(format);
      if (format != "DELTA" && format != "PARQUET") {
        return SqlError(
            "UNSUPPORTED_FEATURE",
            absl::StrCat("The emulator supports USING DELTA and USING PARQUET, not ", format, "."));
      }
    } else if (Accept("PARTITIONED") || Accept("CLUSTER")) {
      GW_RETURN_IF_ERROR(Expect("BY"));
      GW_RETURN_IF_ERROR(ExpectSymbol("("));
      do {
        GW_ASSIGN_OR_RETURN(std::string column, Identifier());
        partitions.push_back(Lower(column));
      } while (AcceptSymbol(","));
      GW_RETURN_IF_ERROR(ExpectSymbol(")"));
    } else if (Accept("COMMENT")) {
      if (Peek().kind != Kind::kString) return Unexpected("expected a comment string");
      comment = Next().text;
    } else if (Accept("TBLPROPERTIES")) {
      GW_ASSIGN_OR_RETURN(properties, Properties());
    } else if (Peek().Is("LOCATION")) {
      return SqlError("UNSUPPORTED_FEATURE",
                      "The emulator models managed tables only; LOCATION is not supported.");
    } else {
      break;
    }
  }

  // The new table's first version: from a definition, a query, or a clone.
  auto table = std::make_unique<Table>();
  Table& t = existing != nullptr ? *existing : *table;
  if (existing == nullptr) {
    t.id = e_.next_table_id_++;
    t.catalog = name[0];
    t.schema = name[1];
    t.name = name[2];
    t.table_id = NewUuid(t.id, session_.now_ms);
    t.owner = session_.user;
    t.created_at = session_.now_ms;
    t.created_by = session_.user;
    t.storage_location = absl::StrCat(e_.options_.storage_root, "/tables/", t.table_id);
  }
  TableVersion v;
  v.version = static_cast<int64_t>(t.versions.size());
  v.user = session_.user;
  v.physical = NewPhysical(t);
  v.properties = properties;
  const std::string op_prefix = existing != nullptr ? "CREATE OR REPLACE TABLE" : "CREATE TABLE";
  ResultSet result;
  int64_t inserted = -1;
  if (Accept("AS")) {
    if (!columns.empty()) {
      return SqlError("UNSUPPORTED_FEATURE",
                      "The emulator does not support a column list together with AS SELECT.");
    }
    std::string query;
    GW_RETURN_IF_ERROR(Rewrite(pos_, End(), &query));
    pos_ = End();
    // Learn the result's columns and types from the query itself.
    GW_ASSIGN_OR_RETURN(ResultSet shape,
                        Query(absl::StrCat("SELECT * FROM (", query, ") LIMIT 0")));
    GW_ASSIGN_OR_RETURN(ResultSet typed,
                        Query(absl::StrCat("SELECT * FROM (", query, ") LIMIT 1")));
    for (size_t c = 0; c < shape.columns.size(); ++c) {
      ColumnSpec spec;
      spec.name = Lower(shape.columns[c].name);
      spec.type = typed.columns[c].type;
      columns.push_back(spec);
    }
    v.columns = columns;
    GW_RETURN_IF_ERROR(CreatePhysical(v.physical, v.columns));
    GW_ASSIGN_OR_RETURN(inserted,
                        ExecCount(absl::StrCat("INSERT INTO ", Quote(v.physical), " ", query)));
    v.operation = op_prefix + " AS SELECT";
    result = AffectedRows({{"num_affected_rows", inserted}, {"num_inserted_rows", inserted}});
  } else if (Accept("SHALLOW") || Accept("DEEP") || Peek().Is("CLONE")) {
    const bool shallow = t_[pos_ - 1].Is("SHALLOW");
    GW_RETURN_IF_ERROR(Expect("CLONE"));
    GW_ASSIGN_OR_RETURN(Table * source, TableName());
    GW_RETURN_IF_ERROR(RequireDelta(*source, "CLONE"));
    GW_ASSIGN_OR_RETURN(const TableVersion* from, TemporalSpec(*source));
    v.columns = from->columns;
    v.properties = from->properties;
    GW_RETURN_IF_ERROR(CreatePhysical(v.physical, v.columns));
    GW_RETURN_IF_ERROR(CopyRows(from->physical, from->columns, v.physical, v.columns));
    v.operation = "CLONE";
    v.parameters = {{"source", source->FullName()},
                    {"sourceVersion", absl::StrCat(from->version)},
                    {"isShallow", shallow ? "true" : "false"}};
    if (shallow) t.table_type = "MANAGED_SHALLOW_CLONE";
    GW_ASSIGN_OR_RETURN(auto rb, RowsAndBytes(v.physical, v.columns));
    result.columns = {{"source_table_size", SqlType{SqlType::Kind::kLong}, ""},
                      {"source_num_of_files", SqlType{SqlType::Kind::kLong}, ""},
                      {"num_removed_files", SqlType{SqlType::Kind::kLong}, ""},
                      {"num_copied_files", SqlType{SqlType::Kind::kLong}, ""},
                      {"removed_files_size", SqlType{SqlType::Kind::kLong}, ""},
                      {"copied_files_size", SqlType{SqlType::Kind::kLong}, ""}};
    const auto files = static_cast<int64_t>(from->files.size());
    result.rows.push_back(Row{absl::StrCat(rb.second), absl::StrCat(files), "0",
                              absl::StrCat(shallow ? 0 : files), "0",
                              absl::StrCat(shallow ? 0 : rb.second)});
    partitions = source->partition_columns;
  } else {
    if (columns.empty()) {
      return SqlError("UNSUPPORTED_FEATURE",
                      "CREATE TABLE needs a column list, AS SELECT or CLONE in the emulator.");
    }
    v.columns = columns;
    GW_RETURN_IF_ERROR(CreatePhysical(v.physical, v.columns));
    v.operation = op_prefix;
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  for (const std::string& p : partitions) {
    if (std::none_of(v.columns.begin(), v.columns.end(),
                     [&](const ColumnSpec& c) { return c.name == p; })) {
      return SqlError("UNRESOLVED_COLUMN.WITHOUT_SUGGESTION",
                      absl::StrCat("Partition column `", p, "` is not a column of the table."));
    }
  }
  if (v.parameters.empty()) {
    v.parameters = {{"isManaged", "true"},
                    {"description", comment},
                    {"partitionBy", JsonList(partitions)},
                    {"properties", "{}"}};
  }
  if (existing != nullptr) {
    for (int64_t f : t.current().files) t.files[f].removed_ms = CommitTime(t);
  }
  t.format = format;
  t.comment = comment;
  t.partition_columns = partitions;
  if (format != "DELTA" && existing != nullptr) {
    return SqlError("UNSUPPORTED_FEATURE", "CREATE OR REPLACE of a non-Delta table.");
  }
  GW_RETURN_IF_ERROR(Normalize(t, v.physical, v.columns));
  v.timestamp_ms = CommitTime(t);
  GW_ASSIGN_OR_RETURN(auto rb, RowsAndBytes(v.physical, v.columns));
  if (rb.first > 0) v.files.push_back(AddFile(t, rb.first, rb.second));
  if (inserted >= 0) {
    v.metrics = {{"numFiles", absl::StrCat(v.files.size())},
                 {"numOutputRows", absl::StrCat(rb.first)},
                 {"numOutputBytes", absl::StrCat(rb.second)}};
  }
  t.updated_at = v.timestamp_ms;
  t.updated_by = session_.user;
  t.versions.push_back(std::move(v));
  if (existing == nullptr) {
    e_.tables_by_id_[t.id] = table.get();
    schema->tables[name[2]] = std::move(table);
  }
  return result;
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::CreateSchema() {
  Next();  // SCHEMA or DATABASE
  GW_ASSIGN_OR_RETURN(const bool if_not_exists, AcceptIfNotExists());
  GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
  if (parts.size() > 2) return SqlError("PARSE_SYNTAX_ERROR", "A schema name has at most 2 parts.");
  const std::string catalog = parts.size() == 2 ? parts[0] : Lower(session_.catalog);
  const std::string name = parts.back();
  std::string comment;
  if (Accept("COMMENT")) {
    if (Peek().kind != Kind::kString) return Unexpected("expected a comment string");
    comment = Next().text;
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  auto c = e_.catalogs_.find(catalog);
  if (c == e_.catalogs_.end()) {
    return SqlError("CATALOG_NOT_FOUND",
                    absl::StrCat("The catalog `", catalog, "` cannot be found."));
  }
  if (c->second.schemas.count(name) > 0) {
    if (if_not_exists) return ResultSet{};
    return SqlError("SCHEMA_ALREADY_EXISTS", absl::StrCat("Cannot create schema `", catalog, "`.`",
                                                          name, "` because it already exists."));
  }
  Schema& s = c->second.schemas[name];
  s.catalog = catalog;
  s.name = name;
  s.comment = comment;
  s.owner = session_.user;
  s.created_at = s.updated_at = session_.now_ms;
  s.schema_id = NewUuid(e_.next_table_id_++, session_.now_ms);
  return ResultSet{};
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::CreateCatalog() {
  Next();  // CATALOG
  GW_ASSIGN_OR_RETURN(const bool if_not_exists, AcceptIfNotExists());
  GW_ASSIGN_OR_RETURN(std::string name, Identifier());
  name = Lower(name);
  std::string comment;
  if (Accept("COMMENT")) {
    if (Peek().kind != Kind::kString) return Unexpected("expected a comment string");
    comment = Next().text;
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  if (e_.catalogs_.count(name) > 0) {
    if (if_not_exists) return ResultSet{};
    return SqlError("CATALOG_ALREADY_EXISTS",
                    absl::StrCat("Cannot create catalog `", name, "` because it already exists."));
  }
  Catalog& c = e_.catalogs_[name];
  c.name = name;
  c.comment = comment;
  c.owner = session_.user;
  c.created_at = c.updated_at = session_.now_ms;
  Schema& d = c.schemas["default"];
  d.catalog = name;
  d.name = "default";
  d.owner = session_.user;
  d.created_at = d.updated_at = session_.now_ms;
  d.schema_id = NewUuid(e_.next_table_id_++, session_.now_ms);
  return ResultSet{};
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Drop() {
  if (Accept("TABLE")) {
    GW_ASSIGN_OR_RETURN(const bool if_exists, AcceptIfExists());
    GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
    GW_RETURN_IF_ERROR(ExpectEnd());
    const auto name = Qualify(parts);
    absl::StatusOr<Table*> table = FindTable(name);
    if (!table.ok()) {
      if (if_exists) return ResultSet{};
      return table.status();
    }
    for (const TableVersion& v : (*table)->versions) {
      if (!v.physical.empty()) {
        GW_RETURN_IF_ERROR(Exec(absl::StrCat("DROP TABLE IF EXISTS ", Quote(v.physical))));
      }
    }
    e_.tables_by_id_.erase((*table)->id);
    e_.catalogs_[name[0]].schemas[name[1]].tables.erase(name[2]);
    return ResultSet{};
  }
  if (Accept("SCHEMA") || Accept("DATABASE")) {
    GW_ASSIGN_OR_RETURN(const bool if_exists, AcceptIfExists());
    GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
    const bool cascade = Accept("CASCADE");
    Accept("RESTRICT");
    GW_RETURN_IF_ERROR(ExpectEnd());
    const std::string catalog = parts.size() == 2 ? parts[0] : Lower(session_.catalog);
    absl::StatusOr<Schema*> schema = FindSchema(catalog, parts.back());
    if (!schema.ok()) {
      if (if_exists) return ResultSet{};
      return schema.status();
    }
    if (!(*schema)->tables.empty() && !cascade) {
      return SqlError("SCHEMA_NOT_EMPTY",
                      absl::StrCat("Cannot drop a schema `", parts.back(),
                                   "` because it contains objects. Use DROP SCHEMA ... CASCADE."));
    }
    for (auto& [name, table] : (*schema)->tables) {
      for (const TableVersion& v : table->versions) {
        if (!v.physical.empty()) {
          GW_RETURN_IF_ERROR(Exec(absl::StrCat("DROP TABLE IF EXISTS ", Quote(v.physical))));
        }
      }
      e_.tables_by_id_.erase(table->id);
    }
    e_.catalogs_[catalog].schemas.erase(parts.back());
    return ResultSet{};
  }
  return SqlError("UNSUPPORTED_FEATURE", "The emulator supports DROP TABLE and DROP SCHEMA.");
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Insert() {
  bool overwrite = false;
  if (Accept("OVERWRITE")) {
    overwrite = true;
  } else {
    GW_RETURN_IF_ERROR(Expect("INTO"));
  }
  Accept("TABLE");
  GW_ASSIGN_OR_RETURN(Table * table, TableName());
  if (Peek().Is("PARTITION")) {
    return SqlError("UNSUPPORTED_FEATURE", "The emulator does not support INSERT ... PARTITION.");
  }
  if (Peek().Is("BY") || Peek().Is("WITH")) {
    return SqlError("UNSUPPORTED_FEATURE",
                    "The emulator does not support INSERT BY NAME or WITH SCHEMA EVOLUTION.");
  }
  std::string column_list;
  if (Peek().IsSymbol("(") && !Peek(1).Is("SELECT") && !Peek(1).Is("WITH") &&
      !Peek(1).Is("VALUES")) {
    ++pos_;
    std::vector<std::string> names;
    do {
      GW_ASSIGN_OR_RETURN(std::string column, Identifier());
      names.push_back(Quote(Lower(column)));
    } while (AcceptSymbol(","));
    GW_RETURN_IF_ERROR(ExpectSymbol(")"));
    column_list = absl::StrCat("(", absl::StrJoin(names, ", "), ")");
  }
  std::string replace_where;
  std::string replace_where_text;
  if (Accept("REPLACE")) {
    GW_RETURN_IF_ERROR(Expect("WHERE"));
    size_t query_start = pos_;
    while (query_start < End() && !t_[query_start].Is("SELECT") && !t_[query_start].Is("VALUES") &&
           !t_[query_start].Is("WITH") && !t_[query_start].Is("TABLE")) {
      ++query_start;
    }
    GW_RETURN_IF_ERROR(Rewrite(pos_, query_start, &replace_where));
    replace_where_text = TokenText(pos_, query_start);
    pos_ = query_start;
  }
  std::string query;
  if (Accept("TABLE")) {
    GW_ASSIGN_OR_RETURN(Table * source, TableName());
    GW_RETURN_IF_ERROR(ExpectEnd());
    query = absl::StrCat("SELECT * FROM ", Quote(source->current().physical));
    tables_read_.insert(source->id);
  } else {
    GW_RETURN_IF_ERROR(Rewrite(pos_, End(), &query));
  }
  const bool read_self = tables_read_.count(table->id) > 0;
  GW_ASSIGN_OR_RETURN(TableVersion next, BeginWrite(*table, !overwrite));
  if (!replace_where.empty()) {
    GW_RETURN_IF_ERROR(
        Exec(absl::StrCat("DELETE FROM ", Quote(next.physical), " WHERE ", replace_where)));
  }
  GW_ASSIGN_OR_RETURN(int64_t before, ScalarInt(absl::StrCat("SELECT ifnull(max(rowid), 0) FROM ",
                                                             Quote(next.physical))));
  GW_ASSIGN_OR_RETURN(int64_t inserted, ExecCount(absl::StrCat("INSERT INTO ", Quote(next.physical),
                                                               " ", column_list, " ", query)));
  if (!replace_where.empty()) {
    GW_ASSIGN_OR_RETURN(
        int64_t outside,
        ScalarInt(absl::StrCat("SELECT count(*) FROM ", Quote(next.physical), " WHERE rowid > ",
                               before, " AND NOT (", replace_where, ")")));
    if (outside > 0) {
      return SqlError("DELTA_REPLACE_WHERE_MISMATCH",
                      absl::StrCat("Written data does not conform to partial table overwrite "
                                   "condition or constraint '",
                                   replace_where_text, "'."));
    }
  }
  next.operation = "WRITE";
  next.parameters = {{"mode", overwrite || !replace_where.empty() ? "Overwrite" : "Append"},
                     {"statsOnLoad", "false"},
                     {"partitionBy", "[]"}};
  if (!replace_where.empty())
    next.parameters.push_back({"predicate", JsonList({replace_where_text})});
  next.blind_append = !overwrite && replace_where.empty() && !read_self;
  if (next.blind_append) next.read_version = -1;
  const bool rewrite = overwrite || !replace_where.empty();
  GW_RETURN_IF_ERROR(Commit(*table, std::move(next), rewrite, inserted));
  TableVersion& committed = table->versions.back();
  GW_ASSIGN_OR_RETURN(auto rb, RowsAndBytes(committed.physical, committed.columns));
  committed.metrics = {
      {"numFiles", inserted > 0 ? "1" : "0"},
      {"numOutputRows", absl::StrCat(inserted)},
      {"numOutputBytes", absl::StrCat(rb.first == 0 ? 0 : rb.second * inserted / rb.first)}};
  if (table->format != "DELTA") {
    // Non-Delta tables have no history: the write replaces the single version.
    table->versions.erase(table->versions.begin(), table->versions.end() - 1);
    table->versions.back().version = 0;
  }
  return AffectedRows({{"num_affected_rows", inserted}, {"num_inserted_rows", inserted}});
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Update() {
  GW_ASSIGN_OR_RETURN(WriteTarget target, Target("UPDATE", "SET"));
  Table* table = target.table;
  const std::string& alias = target.alias;
  GW_RETURN_IF_ERROR(Expect("SET"));
  const size_t where = FindTopLevel(pos_, End(), "WHERE");
  GW_ASSIGN_OR_RETURN(auto assignments, Assignments(pos_, where));
  std::string sets;
  for (const auto& [column, value] : assignments) {
    absl::StrAppend(&sets, sets.empty() ? "" : ", ", Quote(column), " = (", value, ")");
  }
  std::string predicate;
  if (where < End()) GW_RETURN_IF_ERROR(Rewrite(where + 1, End(), &predicate));
  GW_ASSIGN_OR_RETURN(TableVersion next, BeginWrite(*table));
  GW_ASSIGN_OR_RETURN(int64_t total,
                      ScalarInt(absl::StrCat("SELECT count(*) FROM ", Quote(next.physical))));
  GW_ASSIGN_OR_RETURN(
      int64_t updated,
      ExecCount(absl::StrCat("UPDATE ", Quote(next.physical), " AS ", Quote(alias), " SET ", sets,
                             predicate.empty() ? "" : " WHERE " + predicate)));
  next.operation = "UPDATE";
  next.parameters = {{"predicate", JsonList({TokenText(where + 1, End())})}};
  const auto removed = static_cast<int64_t>(next.files.size());
  GW_RETURN_IF_ERROR(Commit(*table, std::move(next), updated > 0));
  table->versions.back().metrics = {
      {"numUpdatedRows", absl::StrCat(updated)},
      {"numCopiedRows", absl::StrCat(updated > 0 ? total - updated : 0)},
      {"numAddedFiles", updated > 0 ? "1" : "0"},
      {"numRemovedFiles", absl::StrCat(updated > 0 ? removed : 0)}};
  return AffectedRows({{"num_affected_rows", updated}});
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Delete() {
  GW_RETURN_IF_ERROR(Expect("FROM"));
  GW_ASSIGN_OR_RETURN(WriteTarget target, Target("DELETE", "WHERE"));
  Table* table = target.table;
  const std::string& alias = target.alias;
  std::string predicate;
  std::string predicate_text;
  if (Accept("WHERE")) {
    GW_RETURN_IF_ERROR(Rewrite(pos_, End(), &predicate));
    predicate_text = TokenText(pos_, End());
  } else {
    GW_RETURN_IF_ERROR(ExpectEnd());
  }
  GW_ASSIGN_OR_RETURN(TableVersion next, BeginWrite(*table));
  GW_ASSIGN_OR_RETURN(int64_t total,
                      ScalarInt(absl::StrCat("SELECT count(*) FROM ", Quote(next.physical))));
  // SQLite's DELETE takes no alias; a subquery on rowid keeps alias-qualified predicates valid.
  GW_ASSIGN_OR_RETURN(
      int64_t deleted,
      ExecCount(predicate.empty()
                    ? absl::StrCat("DELETE FROM ", Quote(next.physical))
                    : absl::StrCat("DELETE FROM ", Quote(next.physical),
                                   " WHERE rowid IN (SELECT rowid FROM ", Quote(next.physical),
                                   " AS ", Quote(alias), " WHERE ", predicate, ")")));
  next.operation = "DELETE";
  next.parameters = {{"predicate", JsonList({predicate_text.empty() ? "true" : predicate_text})}};
  const auto removed = static_cast<int64_t>(next.files.size());
  GW_RETURN_IF_ERROR(Commit(*table, std::move(next), deleted > 0));
  table->versions.back().metrics = {
      {"numDeletedRows", absl::StrCat(deleted)},
      {"numRemovedFiles", absl::StrCat(deleted > 0 ? removed : 0)},
      {"numAddedFiles", deleted > 0 && total > deleted ? "1" : "0"},
      {"numCopiedRows", absl::StrCat(deleted > 0 ? total - deleted : 0)}};
  return AffectedRows({{"num_affected_rows", deleted}});
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Merge() {
  if (Accept("WITH")) {
    return SqlError("UNSUPPORTED_FEATURE",
                    "The emulator does not support MERGE WITH SCHEMA EVOLUTION.");
  }
  GW_RETURN_IF_ERROR(Expect("INTO"));
  GW_ASSIGN_OR_RETURN(WriteTarget target, Target("MERGE INTO", "USING"));
  Table* table = target.table;
  const std::string& target_alias = target.alias;
  GW_RETURN_IF_ERROR(Expect("USING"));
  // The source: a table (with optional time travel) or a parenthesized query.
  std::string source_sql;
  std::string source_alias = "source";
  if (Peek().IsSymbol("(")) {
    GW_ASSIGN_OR_RETURN(size_t close, MatchingParen(pos_));
    GW_RETURN_IF_ERROR(Rewrite(pos_ + 1, close, &source_sql));
    pos_ = close + 1;
  } else {
    GW_ASSIGN_OR_RETURN(std::vector<std::string> parts, NameParts());
    GW_ASSIGN_OR_RETURN(Table * source, FindTable(Qualify(parts)));
    GW_ASSIGN_OR_RETURN(const TableVersion* version, TemporalSpec(*source));
    tables_read_.insert(source->id);
    source_sql = absl::StrCat("SELECT * FROM ", Quote(version->physical));
    source_alias = parts.back();
  }
  if (Accept("AS") || (Peek().IsIdentifier() && !Peek().Is("ON"))) {
    GW_ASSIGN_OR_RETURN(source_alias, Identifier());
  }
  GW_RETURN_IF_ERROR(Expect("ON"));
  const size_t first_when = FindTopLevel(pos_, End(), "WHEN");
  std::string on;
  GW_RETURN_IF_ERROR(Rewrite(pos_, first_when, &on));
  const std::string on_text = TokenText(pos_, first_when);
  pos_ = first_when;

  struct Clause {
    enum class When { kMatched, kNotMatchedByTarget, kNotMatchedBySource } when;
    enum class Action { kUpdate, kDelete, kInsert } action;
    std::string condition;  // SQLite text, empty for none
    bool star = false;
    std::vector<std::pair<std::string, std::string>> assignments;  // column, SQLite expr
  };
  std::vector<Clause> clauses;
  const std::vector<ColumnSpec> columns = table->current().columns;
  while (Accept("WHEN")) {
    Clause clause;
    if (Accept("MATCHED")) {
      clause.when = Clause::When::kMatched;
    } else {
      GW_RETURN_IF_ERROR(Expect("NOT"));
      GW_RETURN_IF_ERROR(Expect("MATCHED"));
      clause.when = Clause::When::kNotMatchedByTarget;
      if (Accept("BY")) {
        if (Accept("SOURCE")) {
          clause.when = Clause::When::kNotMatchedBySource;
        } else {
          GW_RETURN_IF_ERROR(Expect("TARGET"));
        }
      }
    }
    if (Accept("AND")) {
      const size_t then = FindTopLevel(pos_, End(), "THEN");
      GW_RETURN_IF_ERROR(Rewrite(pos_, then, &clause.condition));
      pos_ = then;
    }
    GW_RETURN_IF_ERROR(Expect("THEN"));
    const size_t clause_end = FindTopLevel(pos_, End(), "WHEN");
    if (Accept("DELETE")) {
      clause.action = Clause::Action::kDelete;
    } else if (Accept("UPDATE")) {
      clause.action = Clause::Action::kUpdate;
      GW_RETURN_IF_ERROR(Expect("SET"));
      if (AcceptSymbol("*")) {
        clause.star = true;
      } else {
        GW_ASSIGN_OR_RETURN(clause.assignments, Assignments(pos_, clause_end));
      }
    } else if (Accept("INSERT")) {
      clause.action = Clause::Action::kInsert;
      if (AcceptSymbol("*")) {
        clause.star = true;
      } else {
        GW_RETURN_IF_ERROR(ExpectSymbol("("));
        std::vector<std::string> names;
        do {
          GW_ASSIGN_OR_RETURN(std::vector<std::string> name, NameParts());
          names.push_back(name.back());
        } while (AcceptSymbol(","));
        GW_RETURN_IF_ERROR(ExpectSymbol(")"));
        GW_RETURN_IF_ERROR(Expect("VALUES"));
        if (!Peek().IsSymbol("(")) return Unexpected("expected '(' after VALUES");
        GW_ASSIGN_OR_RETURN(size_t close, MatchingParen(pos_));
        std::vector<std::string> values;
        for (const auto& [begin, end] : SplitTopLevel(pos_ + 1, close)) {
          GW_ASSIGN_OR_RETURN(std::string value, Expression(begin, end));
          values.push_back(std::move(value));
        }
        if (values.size() != names.size()) {
          return SqlError("INSERT_COLUMN_ARITY_MISMATCH",
                          "MERGE INSERT has a different number of columns and values.");
        }
        for (size_t n = 0; n < names.size(); ++n)
          clause.assignments.emplace_back(names[n], values[n]);
      }
    } else {
      return Unexpected("expected UPDATE, DELETE or INSERT");
    }
    if ((clause.when == Clause::When::kNotMatchedByTarget) !=
        (clause.action == Clause::Action::kInsert)) {
      return SqlError("PARSE_SYNTAX_ERROR",
                      "INSERT is allowed only in WHEN NOT MATCHED [BY TARGET], and only INSERT.");
    }
    pos_ = clause_end;
    clauses.push_back(std::move(clause));
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  if (clauses.empty())
    return SqlError("PARSE_SYNTAX_ERROR", "MERGE needs at least one WHEN clause.");

  GW_ASSIGN_OR_RETURN(TableVersion next, BeginWrite(*table));
  const std::string t = Quote(next.physical);
  const std::string ta = Quote(target_alias);
  const std::string sa = Quote(source_alias);
  GW_RETURN_IF_ERROR(Exec("DROP TABLE IF EXISTS temp.__src"));
  GW_RETURN_IF_ERROR(Exec("DROP TABLE IF EXISTS temp.__m"));
  GW_RETURN_IF_ERROR(Exec("DROP TABLE IF EXISTS temp.__nt"));
  GW_RETURN_IF_ERROR(Exec("DROP TABLE IF EXISTS temp.__ns"));
  GW_RETURN_IF_ERROR(Exec(absl::StrCat("CREATE TEMP TABLE __src AS ", source_sql)));
  GW_ASSIGN_OR_RETURN(ResultSet source_shape, Query("SELECT * FROM temp.__src LIMIT 0"));
  std::set<std::string> source_columns;
  for (const ResultColumn& c : source_shape.columns) source_columns.insert(Lower(c.name));
  GW_ASSIGN_OR_RETURN(int64_t source_rows, ScalarInt("SELECT count(*) FROM temp.__src"));
  GW_RETURN_IF_ERROR(Exec(absl::StrCat("CREATE TEMP TABLE __m AS SELECT ", ta, ".rowid AS trow, ",
                                       sa, ".rowid AS srow, NULL AS clause FROM ", t, " AS ", ta,
                                       " JOIN temp.__src AS ", sa, " ON (", on, ")")));
  const bool modifies_matched = std::any_of(clauses.begin(), clauses.end(), [](const Clause& c) {
    return c.when == Clause::When::kMatched;
  });
  if (modifies_matched) {
    GW_ASSIGN_OR_RETURN(int64_t duplicates,
                        ScalarInt("SELECT count(*) FROM (SELECT trow FROM temp.__m GROUP BY trow "
                                  "HAVING count(*) > 1)"));
    if (duplicates > 0) {
      return SqlError("DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE",
                      "Cannot perform Merge as multiple source rows matched and attempted to "
                      "modify the same target row in the Delta table in possibly conflicting "
                      "ways.");
    }
  }
  GW_RETURN_IF_ERROR(Exec(absl::StrCat(
      "CREATE TEMP TABLE __nt AS SELECT rowid AS srow, NULL AS clause FROM temp.__src WHERE "
      "rowid NOT IN (SELECT srow FROM temp.__m)")));
  GW_RETURN_IF_ERROR(
      Exec(absl::StrCat("CREATE TEMP TABLE __ns AS SELECT rowid AS trow, NULL AS "
                        "clause FROM ",
                        t, " WHERE rowid NOT IN (SELECT trow FROM temp.__m)")));
  // Assign each row to the first clause whose condition holds, before changing anything.
  for (size_t n = 0; n < clauses.size(); ++n) {
    const Clause& c = clauses[n];
    const std::string cond = c.condition.empty() ? "1" : "(" + c.condition + ")";
    switch (c.when) {
      case Clause::When::kMatched:
        GW_RETURN_IF_ERROR(Exec(absl::StrCat(
            "UPDATE temp.__m SET clause = ", n, " WHERE clause IS NULL AND EXISTS (SELECT 1 FROM ",
            t, " AS ", ta, ", temp.__src AS ", sa, " WHERE ", ta, ".rowid = temp.__m.trow AND ", sa,
            ".rowid = temp.__m.srow AND ", cond, ")")));
        break;
      case Clause::When::kNotMatchedByTarget:
        GW_RETURN_IF_ERROR(
            Exec(absl::StrCat("UPDATE temp.__nt SET clause = ", n,
                              " WHERE clause IS NULL AND EXISTS (SELECT 1 FROM temp.__src AS ", sa,
                              " WHERE ", sa, ".rowid = temp.__nt.srow AND ", cond, ")")));
        break;
      case Clause::When::kNotMatchedBySource:
        GW_RETURN_IF_ERROR(Exec(absl::StrCat(
            "UPDATE temp.__ns SET clause = ", n, " WHERE clause IS NULL AND EXISTS (SELECT 1 FROM ",
            t, " AS ", ta, " WHERE ", ta, ".rowid = temp.__ns.trow AND ", cond, ")")));
        break;
    }
  }
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t inserted = 0;
  for (size_t n = 0; n < clauses.size(); ++n) {
    const Clause& c = clauses[n];
    std::vector<std::pair<std::string, std::string>> assignments = c.assignments;
    if (c.star) {
      for (const ColumnSpec& column : columns) {
        if (source_columns.count(column.name) == 0) {
          return SqlError("DELTA_MERGE_UNRESOLVED_EXPRESSION",
                          absl::StrCat("Cannot resolve ", column.name,
                                       " in UPDATE/INSERT * given the source columns."));
        }
        assignments.emplace_back(column.name, absl::StrCat(sa, ".", Quote(column.name)));
      }
    }
    std::vector<std::string> sets;
    std::vector<std::string> names;
    std::vector<std::string> values;
    for (const auto& [column, value] : assignments) {
      sets.push_back(absl::StrCat(Quote(column), " = (", value, ")"));
      names.push_back(Quote(column));
      values.push_back(absl::StrCat("(", value, ")"));
    }
    if (c.when == Clause::When::kMatched && c.action == Clause::Action::kUpdate) {
      GW_ASSIGN_OR_RETURN(
          int64_t count,
          ExecCount(absl::StrCat("UPDATE ", t, " AS ", ta, " SET ", absl::StrJoin(sets, ", "),
                                 " FROM temp.__m JOIN temp.__src AS ", sa, " ON ", sa,
                                 ".rowid = temp.__m.srow WHERE temp.__m.trow = ", ta,
                                 ".rowid AND temp.__m.clause = ", n)));
      updated += count;
    } else if (c.when == Clause::When::kMatched) {
      GW_ASSIGN_OR_RETURN(
          int64_t count,
          ExecCount(absl::StrCat("DELETE FROM ", t,
                                 " WHERE rowid IN (SELECT trow FROM temp.__m WHERE clause = ", n,
                                 ")")));
      deleted += count;
    } else if (c.when == Clause::When::kNotMatchedBySource && c.action == Clause::Action::kUpdate) {
      GW_ASSIGN_OR_RETURN(
          int64_t count,
          ExecCount(absl::StrCat("UPDATE ", t, " AS ", ta, " SET ", absl::StrJoin(sets, ", "),
                                 " WHERE ", ta,
                                 ".rowid IN (SELECT trow FROM temp.__ns WHERE clause = ", n, ")")));
      updated += count;
    } else if (c.when == Clause::When::kNotMatchedBySource) {
      GW_ASSIGN_OR_RETURN(
          int64_t count,
          ExecCount(absl::StrCat("DELETE FROM ", t,
                                 " WHERE rowid IN (SELECT trow FROM temp.__ns WHERE clause = ", n,
                                 ")")));
      deleted += count;
    }
  }
  // Inserts last, so the rowids of the clauses above still name the rows they matched.
  for (size_t n = 0; n < clauses.size(); ++n) {
    const Clause& c = clauses[n];
    if (c.action != Clause::Action::kInsert) continue;
    std::vector<std::string> names;
    std::vector<std::string> values;
    if (c.star) {
      for (const ColumnSpec& column : columns) {
        if (source_columns.count(column.name) == 0) {
          return SqlError("DELTA_MERGE_UNRESOLVED_EXPRESSION",
                          absl::StrCat("Cannot resolve ", column.name,
                                       " in INSERT * given the source columns."));
        }
        names.push_back(Quote(column.name));
        values.push_back(absl::StrCat(sa, ".", Quote(column.name)));
      }
    } else {
      for (const auto& [column, value] : c.assignments) {
        names.push_back(Quote(column));
        values.push_back(absl::StrCat("(", value, ")"));
      }
    }
    GW_ASSIGN_OR_RETURN(int64_t count,
                        ExecCount(absl::StrCat(
                            "INSERT INTO ", t, " (", absl::StrJoin(names, ", "), ") SELECT ",
                            absl::StrJoin(values, ", "), " FROM temp.__src AS ", sa, " WHERE ", sa,
                            ".rowid IN (SELECT srow FROM temp.__nt WHERE clause = ", n, ")")));
    inserted += count;
  }
  GW_RETURN_IF_ERROR(Exec("DROP TABLE temp.__src"));
  GW_RETURN_IF_ERROR(Exec("DROP TABLE temp.__m"));
  GW_RETURN_IF_ERROR(Exec("DROP TABLE temp.__nt"));
  GW_RETURN_IF_ERROR(Exec("DROP TABLE temp.__ns"));
  GW_ASSIGN_OR_RETURN(int64_t total_after, ScalarInt(absl::StrCat("SELECT count(*) FROM ", t)));
  next.operation = "MERGE";
  next.parameters = {{"predicate", JsonList({on_text})},
                     {"matchedPredicates", "[]"},
                     {"notMatchedPredicates", "[]"},
                     {"notMatchedBySourcePredicates", "[]"}};
  const auto removed = static_cast<int64_t>(next.files.size());
  const bool changed = updated + deleted + inserted > 0;
  GW_RETURN_IF_ERROR(Commit(*table, std::move(next), changed));
  table->versions.back().metrics = {
      {"numSourceRows", absl::StrCat(source_rows)},
      {"numTargetRowsInserted", absl::StrCat(inserted)},
      {"numTargetRowsUpdated", absl::StrCat(updated)},
      {"numTargetRowsDeleted", absl::StrCat(deleted)},
      {"numTargetRowsCopied", absl::StrCat(changed ? total_after - inserted - updated : 0)},
      {"numOutputRows", absl::StrCat(changed ? total_after : 0)},
      {"numTargetFilesAdded", changed && total_after > 0 ? "1" : "0"},
      {"numTargetFilesRemoved", absl::StrCat(changed ? removed : 0)}};
  return AffectedRows({{"num_affected_rows", updated + deleted + inserted},
                       {"num_updated_rows", updated},
                       {"num_deleted_rows", deleted},
                       {"num_inserted_rows", inserted}});
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Optimize() {
  GW_ASSIGN_OR_RETURN(Table * table, TableName());
  GW_RETURN_IF_ERROR(RequireDelta(*table, "OPTIMIZE"));
  std::string predicate_text;
  if (Accept("WHERE")) {
    const size_t zorder = FindTopLevel(pos_, End(), "ZORDER");
    for (size_t k = pos_; k < zorder; ++k) {
      if (t_[k].IsIdentifier() && !(k + 1 < zorder && t_[k + 1].IsSymbol("(")) &&
          !t_[k].Is("AND") && !t_[k].Is("OR") && !t_[k].Is("NOT") && !t_[k].Is("IN") &&
          !t_[k].Is("IS") && !t_[k].Is("NULL") && !t_[k].Is("BETWEEN") && !t_[k].Is("TRUE") &&
          !t_[k].Is("FALSE") && !t_[k].Is("DATE") && !t_[k].Is("TIMESTAMP")) {
        const std::string column = Lower(t_[k].text);
        if (std::find(table->partition_columns.begin(), table->partition_columns.end(), column) ==
            table->partition_columns.end()) {
          return SqlError("DELTA_NON_PARTITION_COLUMN_REFERENCE",
                          absl::StrCat("Predicate references non-partition column '", column,
                                       "'. Only the partition columns may be referenced: [",
                                       absl::StrJoin(table->partition_columns, ", "), "]."));
        }
      }
    }
    predicate_text = TokenText(pos_, zorder);
    pos_ = zorder;
  }
  std::vector<std::string> zorder;
  if (Accept("ZORDER")) {
    GW_RETURN_IF_ERROR(Expect("BY"));
    const bool paren = AcceptSymbol("(");
    do {
      GW_ASSIGN_OR_RETURN(std::string column, Identifier());
      column = Lower(column);
      const auto& cols = table->current().columns;
      if (std::none_of(cols.begin(), cols.end(),
                       [&](const ColumnSpec& c) { return c.name == column; })) {
        return SqlError(
            "DELTA_ZORDERING_COLUMN_DOES_NOT_EXIST",
            absl::StrCat("Z-Ordering column ", column, " does not exist in data schema."));
      }
      if (std::find(table->partition_columns.begin(), table->partition_columns.end(), column) !=
          table->partition_columns.end()) {
        return SqlError("DELTA_ZORDERING_ON_PARTITION_COLUMN",
                        absl::StrCat(column,
                                     " is a partition column. Z-Ordering can only be "
                                     "performed on data columns."));
      }
      zorder.push_back(column);
    } while (AcceptSymbol(","));
    if (paren) GW_RETURN_IF_ERROR(ExpectSymbol(")"));
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  const TableVersion& current = table->current();
  int64_t removed_bytes = 0;
  int64_t removed_rows = 0;
  for (int64_t f : current.files) {
    removed_bytes += table->files[f].bytes;
    removed_rows += table->files[f].rows;
  }
  const auto considered = static_cast<int64_t>(current.files.size());
  const bool rewrite = considered > 1 || (!zorder.empty() && considered > 0);
  json::Value metrics;
  metrics.Set("numFilesAdded", int64_t{rewrite ? 1 : 0})
      .Set("numFilesRemoved", rewrite ? considered : int64_t{0});
  json::Value added_stats;
  json::Value removed_stats;
  added_stats.Set("min", rewrite ? removed_bytes : 0)
      .Set("max", rewrite ? removed_bytes : 0)
      .Set("avg", rewrite ? static_cast<double>(removed_bytes) : 0.0)
      .Set("totalFiles", int64_t{rewrite ? 1 : 0})
      .Set("totalSize", rewrite ? removed_bytes : 0);
  int64_t min_size = 0;
  int64_t max_size = 0;
  for (int64_t f : current.files) {
    const int64_t b = table->files[f].bytes;
    min_size = min_size == 0 ? b : std::min(min_size, b);
    max_size = std::max(max_size, b);
  }
  removed_stats.Set("min", rewrite ? min_size : 0)
      .Set("max", rewrite ? max_size : 0)
      .Set("avg", rewrite && considered > 0 ? static_cast<double>(removed_bytes) / considered : 0.0)
      .Set("totalFiles", rewrite ? considered : 0)
      .Set("totalSize", rewrite ? removed_bytes : 0);
  metrics.Set("filesAdded", added_stats).Set("filesRemoved", removed_stats);
  metrics.Set("partitionsOptimized", int64_t{rewrite ? 1 : 0});
  if (!zorder.empty()) {
    json::Value zstats;
    zstats.Set("strategyName", "all").Set("numOutputCubes", int64_t{rewrite ? 1 : 0});
    metrics.Set("zOrderStats", zstats);
  } else {
    metrics.Set("zOrderStats", nullptr);
  }
  metrics.Set("numBatches", int64_t{rewrite ? 1 : 0})
      .Set("totalConsideredFiles", considered)
      .Set("totalFilesSkipped", rewrite ? int64_t{0} : considered)
      .Set("preserveInsertionOrder", zorder.empty());
  if (rewrite) {
    TableVersion next = NextVersion(*table, current);  // files change, data does not
    for (int64_t f : current.files) table->files[f].removed_ms = next.timestamp_ms;
    next.files = {AddFile(*table, removed_rows, removed_bytes)};
    next.operation = "OPTIMIZE";
    next.parameters = {
        {"predicate", JsonList(predicate_text.empty() ? std::vector<std::string>{}
                                                      : std::vector<std::string>{predicate_text})},
        {"zOrderBy", JsonList(zorder)}};
    next.metrics = {{"numAddedFiles", "1"},
                    {"numRemovedFiles", absl::StrCat(considered)},
                    {"numAddedBytes", absl::StrCat(removed_bytes)},
                    {"numRemovedBytes", absl::StrCat(removed_bytes)},
                    {"minFileSize", absl::StrCat(removed_bytes)},
                    {"maxFileSize", absl::StrCat(removed_bytes)}};
    Append(*table, std::move(next));
  }
  ResultSet result;
  SqlType string_type{SqlType::Kind::kString};
  result.columns = {{"path", string_type, ""},
                    {"metrics", string_type,
                     "struct<numFilesAdded:bigint,numFilesRemoved:bigint,filesAdded:struct<min:"
                     "bigint,max:bigint,avg:double,totalFiles:bigint,totalSize:bigint>,"
                     "filesRemoved:struct<min:bigint,max:bigint,avg:double,totalFiles:bigint,"
                     "totalSize:bigint>,partitionsOptimized:bigint,zOrderStats:struct<"
                     "strategyName:string,numOutputCubes:bigint>,numBatches:bigint,"
                     "totalConsideredFiles:bigint,totalFilesSkipped:bigint,"
                     "preserveInsertionOrder:boolean>"}};
  result.rows.push_back(Row{table->storage_location, metrics.Dump()});
  return result;
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Vacuum() {
  GW_ASSIGN_OR_RETURN(Table * table, TableName());
  GW_RETURN_IF_ERROR(RequireDelta(*table, "VACUUM"));
  if (Accept("LITE") || Accept("FULL")) {
    // Both modes delete the same files here: the emulator has no untracked files.
  }
  double hours = 168;
  bool specified = false;
  if (Accept("RETAIN")) {
    const Token& n = Next();
    if (n.kind != Kind::kNumber || !absl::SimpleAtod(n.text, &hours)) {
      return Unexpected("expected a number of hours after RETAIN");
    }
    GW_RETURN_IF_ERROR(Expect("HOURS"));
    specified = true;
  }
  bool dry_run = false;
  if (Accept("DRY")) {
    GW_RETURN_IF_ERROR(Expect("RUN"));
    dry_run = true;
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  if (hours < 168 && e_.options_.retention_duration_check) {
    return SqlError(
        "DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT",
        "requirement failed: Are you sure you would like to vacuum files with such a low "
        "retention period? If you have writers that are currently writing to this table, there "
        "is a risk that you may corrupt the state of your Delta table. If you are certain that "
        "there are no operations being performed on this table, such as insert/upsert/delete/"
        "optimize, then you may turn off this check by setting: "
        "spark.databricks.delta.retentionDurationCheck.enabled = false. If you are not sure, "
        "please use a value not less than \"168 hours\".");
  }
  const int64_t cutoff = session_.now_ms - static_cast<int64_t>(hours * 3600 * 1000);
  std::vector<int64_t> doomed;
  int64_t doomed_bytes = 0;
  for (const auto& [id, file] : table->files) {
    if (!file.deleted && file.removed_ms >= 0 && file.removed_ms < cutoff) {
      doomed.push_back(id);
      doomed_bytes += file.bytes;
    }
  }
  ResultSet result;
  result.columns = {{"path", SqlType{SqlType::Kind::kString}, ""}};
  if (dry_run) {
    for (size_t n = 0; n < doomed.size() && n < 1000; ++n) {
      result.rows.push_back(Row{FilePath(*table, doomed[n])});
    }
    return result;
  }
  auto append = [&](const std::string& operation, StringPairs parameters, StringPairs metrics) {
    TableVersion next = NextVersion(*table, table->current());
    next.operation = operation;
    next.parameters = std::move(parameters);
    next.metrics = std::move(metrics);
    Append(*table, std::move(next));
  };
  append("VACUUM START",
         {{"retentionCheckEnabled", e_.options_.retention_duration_check ? "true" : "false"},
          {"specifiedRetentionMillis",
           specified ? absl::StrCat(static_cast<int64_t>(hours * 3600000)) : ""},
          {"defaultRetentionMillis", "604800000"}},
         {{"numFilesToDelete", absl::StrCat(doomed.size())},
          {"sizeOfDataToDelete", absl::StrCat(doomed_bytes)}});
  for (int64_t id : doomed) table->files[id].deleted = true;
  // Drop the snapshots no readable version needs any more.
  std::set<std::string> live;
  for (const TableVersion& v : table->versions) {
    bool readable = true;
    for (int64_t f : v.files) readable &= !table->files[f].deleted;
    if (readable) live.insert(v.physical);
  }
  for (TableVersion& v : table->versions) {
    if (!v.physical.empty() && live.count(v.physical) == 0) {
      GW_RETURN_IF_ERROR(Exec(absl::StrCat("DROP TABLE IF EXISTS ", Quote(v.physical))));
    }
  }
  append("VACUUM END", {{"status", "COMPLETED"}},
         {{"numDeletedFiles", absl::StrCat(doomed.size())}, {"numVacuumedDirectories", "1"}});
  result.rows.push_back(Row{table->storage_location});
  return result;
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Restore() {
  Accept("TABLE");
  GW_ASSIGN_OR_RETURN(Table * table, TableName());
  GW_RETURN_IF_ERROR(RequireDelta(*table, "RESTORE"));
  Accept("TO");
  if (!Peek().Is("VERSION") && !Peek().Is("TIMESTAMP")) {
    return Unexpected("expected VERSION AS OF or TIMESTAMP AS OF");
  }
  const bool by_version = Peek().Is("VERSION");
  const std::string spec_text = t_[pos_ + 3 < t_.size() ? pos_ + 3 : pos_].text;
  GW_ASSIGN_OR_RETURN(const TableVersion* target, TemporalSpec(*table));
  GW_RETURN_IF_ERROR(ExpectEnd());
  const TableVersion& current = table->current();
  std::set<int64_t> now_files(current.files.begin(), current.files.end());
  std::set<int64_t> then_files(target->files.begin(), target->files.end());
  int64_t removed = 0;
  int64_t removed_size = 0;
  int64_t restored = 0;
  int64_t restored_size = 0;
  int64_t size_after = 0;
  for (int64_t f : now_files) {
    if (then_files.count(f) == 0) {
      ++removed;
      removed_size += table->files[f].bytes;
    }
  }
  for (int64_t f : then_files) {
    size_after += table->files[f].bytes;
    if (now_files.count(f) == 0) {
      ++restored;
      restored_size += table->files[f].bytes;
    }
  }
  TableVersion next = NextVersion(*table, *target);  // the restored version's data, unchanged
  for (int64_t f : now_files) {
    if (then_files.count(f) == 0) table->files[f].removed_ms = next.timestamp_ms;
  }
  for (int64_t f : then_files) table->files[f].removed_ms = -1;
  next.operation = "RESTORE";
  next.parameters = {{"version", by_version ? absl::StrCat(target->version) : ""},
                     {"timestamp", by_version ? "" : spec_text}};
  next.metrics = {{"tableSizeAfterRestore", absl::StrCat(size_after)},
                  {"numOfFilesAfterRestore", absl::StrCat(then_files.size())},
                  {"numRemovedFiles", absl::StrCat(removed)},
                  {"numRestoredFiles", absl::StrCat(restored)},
                  {"removedFilesSize", absl::StrCat(removed_size)},
                  {"restoredFilesSize", absl::StrCat(restored_size)}};
  Append(*table, std::move(next));
  return AffectedRows({{"table_size_after_restore", size_after},
                       {"num_of_files_after_restore", static_cast<int64_t>(then_files.size())},
                       {"num_removed_files", removed},
                       {"num_restored_files", restored},
                       {"removed_files_size", removed_size},
                       {"restored_files_size", restored_size}});
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Describe() {
  if (Accept("HISTORY")) {
    GW_ASSIGN_OR_RETURN(Table * table, TableName());
    return DescribeHistory(*table);
  }
  if (Accept("DETAIL")) {
    GW_ASSIGN_OR_RETURN(Table * table, TableName());
    GW_RETURN_IF_ERROR(ExpectEnd());
    return DescribeDetail(*table);
  }
  Accept("TABLE");
  const bool extended = Accept("EXTENDED");
  GW_ASSIGN_OR_RETURN(Table * table, TableName());
  GW_ASSIGN_OR_RETURN(const TableVersion* version, TemporalSpec(*table));
  GW_RETURN_IF_ERROR(ExpectEnd());
  ResultSet result;
  SqlType s{SqlType::Kind::kString};
  result.columns = {{"col_name", s, ""}, {"data_type", s, ""}, {"comment", s, ""}};
  for (const ColumnSpec& c : version->columns) {
    result.rows.push_back(
        Row{c.name, c.type.Text(),
            c.comment.empty() ? std::nullopt : std::optional<std::string>(c.comment)});
  }
  if (!table->partition_columns.empty()) {
    result.rows.push_back(Row{"# Partition Information", "", ""});
    result.rows.push_back(Row{"# col_name", "data_type", "comment"});
    for (const std::string& p : table->partition_columns) {
      for (const ColumnSpec& c : version->columns) {
        if (c.name == p) result.rows.push_back(Row{c.name, c.type.Text(), std::nullopt});
      }
    }
  }
  if (extended) {
    result.rows.push_back(Row{"", "", ""});
    result.rows.push_back(Row{"# Detailed Table Information", "", ""});
    result.rows.push_back(Row{"Catalog", table->catalog, ""});
    result.rows.push_back(Row{"Database", table->schema, ""});
    result.rows.push_back(Row{"Table", table->name, ""});
    result.rows.push_back(Row{"Created Time", FormatTimestampMs(table->created_at), ""});
    result.rows.push_back(Row{"Owner", table->owner, ""});
    result.rows.push_back(Row{"Type", table->table_type, ""});
    result.rows.push_back(Row{"Provider", Lower(table->format), ""});
    result.rows.push_back(Row{"Location", table->storage_location, ""});
    if (!table->comment.empty()) result.rows.push_back(Row{"Comment", table->comment, ""});
  }
  return result;
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::DescribeHistory(Table& table) {
  int64_t limit = -1;
  if (Accept("LIMIT")) {
    GW_ASSIGN_OR_RETURN(limit, IntegerAt(Next()));
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  if (table.format != "DELTA") {
    return SqlError("DELTA_ONLY_OPERATION",
                    absl::StrCat("DESCRIBE HISTORY is only supported for Delta tables; ",
                                 table.FullName(), " is ", table.format, "."));
  }
  ResultSet result;
  const SqlType s{SqlType::Kind::kString};
  const SqlType l{SqlType::Kind::kLong};
  const SqlType ts{SqlType::Kind::kTimestamp};
  const SqlType b{SqlType::Kind::kBoolean};
  result.columns = {
      {"version", l, ""},
      {"timestamp", ts, ""},
      {"userId", s, ""},
      {"userName", s, ""},
      {"operation", s, ""},
      {"operationParameters", s, "map<string,string>"},
      {"job", s,
       "struct<jobId:string,jobName:string,runId:string,jobOwnerId:string,triggerType:string>"},
      {"notebook", s, "struct<notebookId:string>"},
      {"clusterId", s, ""},
      {"readVersion", l, ""},
      {"isolationLevel", s, ""},
      {"isBlindAppend", b, ""},
      {"operationMetrics", s, "map<string,string>"},
      {"engineInfo", s, ""}};
  auto map_json = [](const StringPairs& pairs) {
    json::Value object = json::Value::EmptyObject();
    for (const auto& [k, v] : pairs) object.Set(k, v);
    return object.Dump();
  };
  for (auto it = table.versions.rbegin(); it != table.versions.rend(); ++it) {
    if (limit >= 0 && static_cast<int64_t>(result.rows.size()) >= limit) break;
    const TableVersion& v = *it;
    result.rows.push_back(
        Row{absl::StrCat(v.version), FormatTimestampMs(v.timestamp_ms),
            absl::StrCat(std::hash<std::string>()(v.user) % 100000000000000), v.user, v.operation,
            map_json(v.parameters), std::nullopt, std::nullopt, std::nullopt,
            v.read_version < 0 ? std::nullopt
                               : std::optional<std::string>(absl::StrCat(v.read_version)),
            v.operation == "VACUUM START" || v.operation == "VACUUM END" ? "SnapshotIsolation"
                                                                         : "WriteSerializable",
            v.blind_append ? "true" : "false", map_json(v.metrics),
            "Databricks-Runtime/15.4.x-photon-scala2.12 (emulated)"});
  }
  return result;
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::DescribeDetail(Table& table) {
  const TableVersion& v = table.current();
  int64_t bytes = 0;
  for (int64_t f : v.files) bytes += table.files[f].bytes;
  json::Value properties = json::Value::EmptyObject();
  for (const auto& [k, value] : v.properties) properties.Set(k, value);
  ResultSet result;
  const SqlType s{SqlType::Kind::kString};
  const SqlType l{SqlType::Kind::kLong};
  const SqlType ts{SqlType::Kind::kTimestamp};
  const SqlType i{SqlType::Kind::kInt};
  result.columns = {{"format", s, ""},
                    {"id", s, ""},
                    {"name", s, ""},
                    {"description", s, ""},
                    {"location", s, ""},
                    {"createdAt", ts, ""},
                    {"lastModified", ts, ""},
                    {"partitionColumns", s, "array<string>"},
                    {"numFiles", l, ""},
                    {"sizeInBytes", l, ""},
                    {"properties", s, "map<string,string>"},
                    {"minReaderVersion", i, ""},
                    {"minWriterVersion", i, ""}};
  result.rows.push_back(
      Row{Lower(table.format), table.table_id, table.FullName(),
          table.comment.empty() ? std::nullopt : std::optional<std::string>(table.comment),
          table.storage_location, FormatTimestampMs(table.created_at),
          FormatTimestampMs(v.timestamp_ms), JsonList(table.partition_columns),
          absl::StrCat(v.files.size()), absl::StrCat(bytes), properties.Dump(), "1", "2"});
  return result;
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::AlterTable() {
  GW_RETURN_IF_ERROR(Expect("TABLE"));
  GW_ASSIGN_OR_RETURN(Table * table, TableName());
  if (Accept("ADD")) {
    if (!Accept("COLUMNS")) Accept("COLUMN");
    std::vector<ColumnSpec> added;
    std::string position;  // "", "FIRST", or the column to follow
    if (Peek().IsSymbol("(")) {
      GW_ASSIGN_OR_RETURN(added, ColumnDefinitions());
    } else {
      // ADD COLUMN name type [...]: reuse the list parser on a one-column list.
      t_.insert(t_.begin() + static_cast<std::ptrdiff_t>(pos_),
                Token{Kind::kSymbol, "(", "", t_[pos_].offset});
      size_t k = pos_ + 1;
      while (k < End() && !t_[k].Is("FIRST") && !t_[k].Is("AFTER")) ++k;
      t_.insert(t_.begin() + static_cast<std::ptrdiff_t>(k),
                Token{Kind::kSymbol, ")", "", t_[k].offset});
      GW_ASSIGN_OR_RETURN(added, ColumnDefinitions());
    }
    if (Accept("FIRST")) {
      position = "FIRST";
    } else if (Accept("AFTER")) {
      GW_ASSIGN_OR_RETURN(position, Identifier());
      position = Lower(position);
    }
    GW_RETURN_IF_ERROR(ExpectEnd());
    std::vector<ColumnSpec> columns = table->current().columns;
    for (const ColumnSpec& c : added) {
      for (const ColumnSpec& existing : columns) {
        if (existing.name == c.name) {
          return SqlError("FIELDS_ALREADY_EXISTS",
                          absl::StrCat("Cannot add column, because `", c.name,
                                       "` already exists in ", table->FullName(), "."));
        }
      }
      if (!c.nullable) {
        return SqlError("DELTA_NOT_NULL_COLUMN_NOT_FOUND_IN_STRUCT",
                        "A NOT NULL column cannot be added to an existing Delta table.");
      }
    }
    size_t at = columns.size();
    if (position == "FIRST") {
      at = 0;
    } else if (!position.empty()) {
      auto it = std::find_if(columns.begin(), columns.end(),
                             [&](const ColumnSpec& c) { return c.name == position; });
      if (it == columns.end()) {
        return SqlError("UNRESOLVED_COLUMN.WITHOUT_SUGGESTION",
                        absl::StrCat("Column `", position, "` cannot be resolved."));
      }
      at = static_cast<size_t>(it - columns.begin()) + 1;
    }
    columns.insert(columns.begin() + static_cast<std::ptrdiff_t>(at), added.begin(), added.end());
    GW_ASSIGN_OR_RETURN(TableVersion next, BeginWrite(*table, false));
    GW_RETURN_IF_ERROR(Exec(absl::StrCat("DROP TABLE ", Quote(next.physical))));
    next.columns = columns;
    GW_RETURN_IF_ERROR(CreatePhysical(next.physical, next.columns));
    GW_RETURN_IF_ERROR(
        CopyRows(table->current().physical, table->current().columns, next.physical, next.columns));
    json::Value described = json::Value::EmptyArray();
    for (const ColumnSpec& c : added) {
      json::Value column;
      column.Set("name", c.name).Set("type", c.type.JsonName()).Set("nullable", c.nullable);
      json::Value entry;
      entry.Set("column", column);
      if (!position.empty())
        entry.Set("position", position == "FIRST" ? "FIRST" : "AFTER " + position);
      described.Append(entry);
    }
    next.operation = "ADD COLUMNS";
    next.parameters = {{"columns", described.Dump()}};
    GW_RETURN_IF_ERROR(Commit(*table, std::move(next), false));
    return ResultSet{};
  }
  if (Accept("ALTER") || Accept("CHANGE")) {
    Accept("COLUMN");
    GW_ASSIGN_OR_RETURN(std::string column, Identifier());
    column = Lower(column);
    if (t_[pos_ - 2].Is("CHANGE") || (t_[pos_ - 2].Is("COLUMN") && t_[pos_ - 3].Is("CHANGE"))) {
      // CHANGE COLUMN c c TYPE: the repeated name.
      if (Peek().IsIdentifier() && !Peek().Is("TYPE")) Next();
    }
    if (!Accept("TYPE")) {
      return SqlError("UNSUPPORTED_FEATURE",
                      "The emulator supports ALTER COLUMN ... TYPE only (type widening).");
    }
    std::string type_text;
    while (Peek().kind != Kind::kEnd) type_text += Next().text;
    GW_ASSIGN_OR_RETURN(SqlType to, ParseSqlType(type_text));
    std::vector<ColumnSpec> columns = table->current().columns;
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](const ColumnSpec& c) { return c.name == column; });
    if (it == columns.end()) {
      return SqlError("UNRESOLVED_COLUMN.WITHOUT_SUGGESTION",
                      absl::StrCat("Column `", column, "` cannot be resolved."));
    }
    const SqlType from = it->type;
    if (from == to) return ResultSet{};
    using K = SqlType::Kind;
    auto rank = [](K k) {
      return k == K::kByte ? 1 : k == K::kShort ? 2 : k == K::kInt ? 3 : k == K::kLong ? 4 : 0;
    };
    bool allowed = false;
    if (from.IsIntegral() && to.IsIntegral()) allowed = rank(to.kind) > rank(from.kind);
    if (from.IsIntegral() && from.kind != K::kLong && to.kind == K::kDouble) allowed = true;
    if (from.IsIntegral() && to.kind == K::kDecimal) {
      const int needed = from.kind == K::kByte    ? 3
                         : from.kind == K::kShort ? 5
                         : from.kind == K::kInt   ? 10
                                                  : 20;
      allowed = to.precision - to.scale >= needed;
    }
    if (from.kind == K::kFloat && to.kind == K::kDouble) allowed = true;
    if (from.kind == K::kDecimal && to.kind == K::kDecimal) {
      allowed = to.precision >= from.precision && to.scale >= from.scale &&
                to.precision - to.scale >= from.precision - from.scale;
    }
    if (from.kind == K::kDate && to.kind == K::kTimestampNtz) allowed = true;
    if (!allowed) {
      return SqlError("NOT_SUPPORTED_CHANGE_COLUMN",
                      absl::StrCat("ALTER TABLE ALTER/CHANGE COLUMN is not supported for changing ",
                                   table->FullName(), "'s column ", column, " with type '",
                                   absl::AsciiStrToUpper(from.Text()), "' to '", column,
                                   "' with type '", absl::AsciiStrToUpper(to.Text()), "'."));
    }
    auto enabled = table->current().properties.find("delta.enableTypeWidening");
    if (enabled == table->current().properties.end() || Lower(enabled->second) != "true") {
      return SqlError(
          "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP",
          absl::StrCat("Changing the type of column ", column, " from ",
                       absl::AsciiStrToUpper(from.Text()), " to ", absl::AsciiStrToUpper(to.Text()),
                       " needs type widening: set the table property "
                       "'delta.enableTypeWidening' = 'true' first."));
    }
    it->type = to;
    GW_ASSIGN_OR_RETURN(TableVersion next, BeginWrite(*table, false));
    GW_RETURN_IF_ERROR(Exec(absl::StrCat("DROP TABLE ", Quote(next.physical))));
    next.columns = columns;
    GW_RETURN_IF_ERROR(CreatePhysical(next.physical, next.columns));
    GW_RETURN_IF_ERROR(
        CopyRows(table->current().physical, table->current().columns, next.physical, next.columns));
    next.operation = "CHANGE COLUMN";
    json::Value described;
    described.Set("name", column).Set("type", to.JsonName()).Set("nullable", it->nullable);
    next.parameters = {{"column", described.Dump()}};
    GW_RETURN_IF_ERROR(Commit(*table, std::move(next), true));
    return ResultSet{};
  }
  if (Accept("SET")) {
    GW_RETURN_IF_ERROR(Expect("TBLPROPERTIES"));
    GW_ASSIGN_OR_RETURN(auto properties, Properties());
    GW_RETURN_IF_ERROR(ExpectEnd());
    TableVersion next = NextVersion(*table, table->current());
    for (const auto& [k, v] : properties) next.properties[k] = v;
    next.operation = "SET TBLPROPERTIES";
    json::Value props = json::Value::EmptyObject();
    for (const auto& [k, v] : properties) props.Set(k, v);
    next.parameters = {{"properties", props.Dump()}};
    Append(*table, std::move(next));
    return ResultSet{};
  }
  return SqlError("UNSUPPORTED_FEATURE",
                  "The emulator supports ALTER TABLE ADD COLUMNS, ALTER COLUMN TYPE and SET "
                  "TBLPROPERTIES.");
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Convert() {
  GW_RETURN_IF_ERROR(Expect("TO"));
  GW_RETURN_IF_ERROR(Expect("DELTA"));
  if (Peek().Is("PARQUET") && Peek(1).IsSymbol(".") && Peek(2).kind == Kind::kQuotedIdent) {
    return SqlError("UNSUPPORTED_FEATURE",
                    "The emulator models tables, not storage paths: CONVERT TO DELTA "
                    "parquet.`path` is not supported. Convert a PARQUET table by name.");
  }
  GW_ASSIGN_OR_RETURN(Table * table, TableName());
  if (Accept("NO")) {
    GW_RETURN_IF_ERROR(Expect("STATISTICS"));
  }
  if (Peek().Is("PARTITIONED")) {
    return SqlError("UNSUPPORTED_FEATURE",
                    "The emulator does not support CONVERT ... PARTITIONED BY.");
  }
  GW_RETURN_IF_ERROR(ExpectEnd());
  if (table->format == "DELTA") return ResultSet{};  // already Delta: nothing to do
  TableVersion& v = table->versions.back();
  table->format = "DELTA";
  v.version = 0;
  v.operation = "CONVERT";
  v.parameters = {{"numFiles", absl::StrCat(v.files.size())},
                  {"partitionedBy", "[]"},
                  {"collectStats", "true"},
                  {"catalogTable", table->FullName()}};
  v.timestamp_ms = session_.now_ms;
  v.read_version = -1;
  return ResultSet{};
}

absl::StatusOr<ResultSet> DeltaEngine::Statement::Show() {
  ResultSet result;
  const SqlType s{SqlType::Kind::kString};
  const SqlType b{SqlType::Kind::kBoolean};
  if (Accept("CATALOGS")) {
    GW_RETURN_IF_ERROR(ExpectEnd());
    result.columns = {{"catalog", s, ""}};
    for (const auto& [name, c] : e_.catalogs_) result.rows.push_back(Row{name});
    return result;
  }
  if (Accept("SCHEMAS") || Accept("DATABASES")) {
    std::string catalog = Lower(session_.catalog);
    if (Accept("IN") || Accept("FROM")) {
      GW_ASSIGN_OR_RETURN(catalog, Identifier());
      catalog = Lower(catalog);
    }
    GW_RETURN_IF_ERROR(ExpectEnd());
    auto c = e_.catalogs_.find(catalog);
    if (c == e_.catalogs_.end()) {
      return SqlError("CATALOG_NOT_FOUND",
                      absl::StrCat("The catalog `", catalog, "` cannot be found."));
    }
    result.columns = {{"databaseName", s, ""}};
    for (const auto& [name, schema] : c->second.schemas) result.rows.push_back(Row{name});
    return result;
  }
  if (Accept("TABLES")) {
    std::vector<std::string> parts = {Lower(session_.catalog), Lower(session_.schema)};
    if (Accept("IN") || Accept("FROM")) {
      GW_ASSIGN_OR_RETURN(std::vector<std::string> named, NameParts());
      if (named.size() == 1) named.insert(named.begin(), Lower(session_.catalog));
      parts = named;
    }
    GW_RETURN_IF_ERROR(ExpectEnd());
    GW_ASSIGN_OR_RETURN(Schema * schema, FindSchema(parts[0], parts[1]));
    result.columns = {{"database", s, ""}, {"tableName", s, ""}, {"isTemporary", b, ""}};
    for (const auto& [name, table] : schema->tables)
      result.rows.push_back(Row{parts[1], name, "false"});
    return result;
  }
  return SqlError("UNSUPPORTED_FEATURE",
                  "The emulator supports SHOW CATALOGS, SCHEMAS and TABLES.");
}

// ---------------------------------------------------------------------------------------------

DeltaEngine::DeltaEngine(sqlite3* db, EngineOptions options)
    : db_(db), options_(std::move(options)) {}

DeltaEngine::~DeltaEngine() { sqlite3_close(db_); }

absl::StatusOr<std::unique_ptr<DeltaEngine>> DeltaEngine::Create(EngineOptions options) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(absl::StrCat("cannot open SQLite: ", message));
  }
  std::unique_ptr<DeltaEngine> engine(new DeltaEngine(db, std::move(options)));
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  sqlite3_create_function_v2(db, "__gw_cast", 2, flags, nullptr, Cast, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "__gw_try_cast", 2, flags, nullptr, TryCast, nullptr, nullptr,
                             nullptr);
  sqlite3_create_function_v2(db, "concat", -1, flags, nullptr, Concat, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "__gw_now", 0, SQLITE_UTF8, &engine->now_ms_, Now, nullptr,
                             nullptr, nullptr);
  sqlite3_create_function_v2(db, "__gw_today", 0, SQLITE_UTF8, &engine->now_ms_, Today, nullptr,
                             nullptr, nullptr);
  char* error = nullptr;
  sqlite3_exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;", nullptr, nullptr,
               &error);
  sqlite3_free(error);
  for (const auto& [catalog_name, schemas] : engine->options_.catalogs) {
    Catalog& catalog = engine->catalogs_[Lower(catalog_name)];
    catalog.name = Lower(catalog_name);
    catalog.owner = engine->options_.owner;
    catalog.created_at = catalog.updated_at = engine->options_.created_ms;
    for (const std::string& schema_name : schemas) {
      Schema& schema = catalog.schemas[Lower(schema_name)];
      schema.catalog = catalog.name;
      schema.name = Lower(schema_name);
      schema.owner = engine->options_.owner;
      schema.created_at = schema.updated_at = engine->options_.created_ms;
      schema.schema_id = NewUuid(engine->next_table_id_++, 0);
    }
  }
  return engine;
}

const Table* DeltaEngine::FindTable(absl::string_view catalog, absl::string_view schema,
                                    absl::string_view name) const {
  auto c = catalogs_.find(Lower(catalog));
  if (c == catalogs_.end()) return nullptr;
  auto s = c->second.schemas.find(Lower(schema));
  if (s == c->second.schemas.end()) return nullptr;
  auto t = s->second.tables.find(Lower(name));
  return t == s->second.tables.end() ? nullptr : t->second.get();
}

absl::StatusOr<ResultSet> DeltaEngine::Execute(absl::string_view sql,
                                               const std::vector<SqlParameter>& parameters,
                                               const Session& session) {
  GW_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(sql));
  now_ms_ = session.now_ms;
  // Each statement is atomic: on any error, SQLite rolls back and the catalog is restored.
  // Reads change nothing and skip the snapshot.
  const Token& first = tokens.front();
  if (first.Is("SELECT") || first.Is("WITH") || first.Is("VALUES") || first.Is("SHOW") ||
      (first.Is("DESCRIBE") && !tokens[1].Is("TABLE") && tokens[1].kind != Token::Kind::kEnd) ||
      first.IsSymbol("(")) {
    Statement statement(this, std::move(tokens), parameters, session);
    return statement.Run();
  }
  sqlite3_exec(db_, "SAVEPOINT statement", nullptr, nullptr, nullptr);
  // Snapshot the metadata the statement may change (versions and files per table, names).
  struct TableState {
    std::vector<TableVersion> versions;
    std::map<int64_t, DataFile> files;
    int64_t next_file_id;
    std::string format, table_type, comment;
    std::vector<std::string> partitions;
    int64_t updated_at;
  };
  std::map<int64_t, TableState> saved;
  for (const auto& [id, table] : tables_by_id_) {
    saved[id] =
        TableState{table->versions,   table->files,   table->next_file_id,      table->format,
                   table->table_type, table->comment, table->partition_columns, table->updated_at};
  }
  Statement statement(this, std::move(tokens), parameters, session);
  absl::StatusOr<ResultSet> result = statement.Run();
  if (result.ok()) {
    sqlite3_exec(db_, "RELEASE statement", nullptr, nullptr, nullptr);
    return result;
  }
  sqlite3_exec(db_, "ROLLBACK TO statement; RELEASE statement", nullptr, nullptr, nullptr);
  sqlite3_exec(db_,
               "DROP TABLE IF EXISTS temp.__src; DROP TABLE IF EXISTS temp.__m; "
               "DROP TABLE IF EXISTS temp.__nt; DROP TABLE IF EXISTS temp.__ns;",
               nullptr, nullptr, nullptr);
  // Restore the metadata: tables created by the statement disappear, changed ones revert.
  for (auto& [cname, c] : catalogs_) {
    for (auto& [sname, s] : c.schemas) {
      for (auto it = s.tables.begin(); it != s.tables.end();) {
        if (saved.count(it->second->id) == 0) {
          tables_by_id_.erase(it->second->id);
          it = s.tables.erase(it);
          continue;
        }
        ++it;
      }
    }
  }
  for (auto& [id, state] : saved) {
    auto it = tables_by_id_.find(id);
    if (it == tables_by_id_.end()) continue;
    Table* table = it->second;
    table->versions = std::move(state.versions);
    table->files = std::move(state.files);
    table->next_file_id = state.next_file_id;
    table->format = state.format;
    table->table_type = state.table_type;
    table->comment = state.comment;
    table->partition_columns = state.partitions;
    table->updated_at = state.updated_at;
  }
  return result.status();
}

SqlFailure DeltaEngine::ToFailure(const absl::Status& status) {
  SqlFailure failure;
  failure.message = std::string(status.message());
  if (absl::StartsWith(failure.message, "[")) {
    const size_t close = failure.message.find(']');
    failure.sql_state = SqlStateFor(failure.message.substr(1, close - 1));
  }
  return failure;
}

}  // namespace emulator
