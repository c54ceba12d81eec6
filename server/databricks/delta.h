// DeltaService requests → Databricks SQL statements, and statement results → DeltaService
// responses. Pure: no I/O.
//
// Every statement is built from checked pieces (delta_sql.h): identifiers validated and
// back-quoted, filters in the gateway's grammar, values as named parameters. Only three
// kinds of text reach SQL that are not identifiers or keywords, each produced by the gateway
// from a typed field, never copied from a caller's string: integers (versions, limits,
// hours), timestamps written as 'yyyy-MM-ddTHH:mm:ss.SSSSSSZ', and comments or table
// properties that passed the literal rule (ValidateLiteral). Databricks accepts no parameter
// markers in those positions (commands such as RESTORE and DDL).
#ifndef SERVER_DATABRICKS_DELTA_H_
#define SERVER_DATABRICKS_DELTA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/databricks/gateway/v1/delta.pb.h"

namespace gateway::databricks {

namespace v1 = ::databricks::gateway::v1;

// Most rows one WriteTable writes, and most values (rows × columns). One INSERT statement,
// each value a parameter.
inline constexpr int kMaxWriteRows = 10000;
inline constexpr int kMaxWriteValues = 100000;
// Most source rows of one MergeInto (the source is a UNION ALL of one SELECT per row).
inline constexpr int kMaxMergeRows = 1000;
// Longest comment or table property value, and longest property key.
inline constexpr size_t kMaxLiteralLength = 1024;
inline constexpr size_t kMaxPropertyKeyLength = 256;

// Where a one-part or two-part table name is completed.
struct NameDefaults {
  std::string catalog;
  std::string schema;
};

// One Delta operation as a statement.
struct DeltaStatement {
  std::string sql;
  std::vector<v1::SqlParameter> parameters;
};

// A statement's result: its schema and every row, typed.
struct ResultRows {
  v1::Schema schema;
  std::vector<v1::Row> rows;
};

// Parameter names starting with this are the gateway's; a caller's filter may not use them.
inline constexpr absl::string_view kReservedParameterPrefix = "gw_";

// Comment and property text: at most kMaxLiteralLength characters, none of them a quote,
// a backslash or a control character. Errors: INVALID_ARGUMENT naming `field`.
absl::Status ValidateLiteral(absl::string_view text, absl::string_view field);

// A SQL column type the gateway understands, parsed from its text ("DECIMAL(10, 2)",
// "bigint", "array<string>").
struct SqlType {
  v1::ColumnSchema::TypeName name = v1::ColumnSchema::TYPE_NAME_UNSPECIFIED;
  int precision = 0;  // DECIMAL only
  int scale = 0;      // DECIMAL only
  std::string text;   // canonical: upper-case primitive names, "DECIMAL(p,s)"
};

// Parses a primitive type name (and DECIMAL arguments). Complex types (ARRAY, MAP, STRUCT)
// are accepted only when `allow_complex` (for reading schemas Databricks reports); their
// text is then kept as given. Errors: INVALID_ARGUMENT naming `field`.
absl::StatusOr<SqlType> ParseSqlType(absl::string_view text, absl::string_view field,
                                     bool allow_complex = false);

// Why `from` → `to` is not a widening Delta allows; "" when it is (BYTE→SHORT→INT→BIGINT,
// BYTE/SHORT/INT→DOUBLE, integers→DECIMAL with enough integer digits, FLOAT→DOUBLE,
// DECIMAL→DECIMAL keeping integer digits and scale, DATE→TIMESTAMP_NTZ).
std::string WideningRefusal(const SqlType& from, const SqlType& to);

// Statements. Errors: INVALID_ARGUMENT naming the field and what was refused.
absl::StatusOr<DeltaStatement> BuildReadTable(const v1::ReadTableRequest& request,
                                              const NameDefaults& defaults);
// `table_columns` is the table's column order, needed for REPLACE WHERE (which takes no
// column list); empty for the other modes.
absl::StatusOr<DeltaStatement> BuildWriteTable(const v1::WriteTableRequest& request,
                                               const NameDefaults& defaults,
                                               const std::vector<std::string>& table_columns);
// Checks WriteTable's request as far as it can be without the table (its limits, names
// and values), so a bad request is refused before anything is sent.
absl::Status CheckWriteTable(const v1::WriteTableRequest& request, const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildMergeInto(const v1::MergeIntoRequest& request,
                                              const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildDeleteRows(const v1::DeleteRowsRequest& request,
                                               const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildUpdateRows(const v1::UpdateRowsRequest& request,
                                               const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildOptimizeTable(const v1::OptimizeTableRequest& request,
                                                  const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildVacuumTable(const v1::VacuumTableRequest& request,
                                                const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildDescribeHistory(const v1::DescribeHistoryRequest& request,
                                                    const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildRestoreTable(const v1::RestoreTableRequest& request,
                                                 const NameDefaults& defaults);
// DESCRIBE TABLE, optionally as of a version or time (GetTableSchema, EvolveSchema,
// WriteTable's REPLACE WHERE). `field` names the table in errors.
absl::StatusOr<DeltaStatement> BuildDescribeTable(const v1::TableName& table,
                                                  const v1::TableVersionSpec* as_of,
                                                  absl::string_view field,
                                                  const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildCloneTable(const v1::CloneTableRequest& request,
                                               const NameDefaults& defaults);
absl::StatusOr<DeltaStatement> BuildConvertToDelta(const v1::ConvertToDeltaRequest& request,
                                                   const NameDefaults& defaults);

// EvolveSchema, planned against the table's current schema: the refused changes, the
// schema afterwards, and the statements that make it (none when something is refused).
// Widening a type enables type widening on the table first ('delta.enableTypeWidening').
struct SchemaEvolution {
  std::vector<v1::SchemaIncompatibility> incompatibilities;
  v1::Schema after;
  std::vector<DeltaStatement> statements;
};
absl::StatusOr<SchemaEvolution> PlanSchemaEvolution(const v1::EvolveSchemaRequest& request,
                                                    const v1::Schema& current,
                                                    const NameDefaults& defaults);
// Checks EvolveSchema's request without the table (names, types, comments).
absl::Status CheckEvolveSchema(const v1::EvolveSchemaRequest& request,
                               const NameDefaults& defaults);

// Results. A result without the columns Databricks documents is INTERNAL (unreadable
// response) naming what is missing.
absl::Status ParseDmlMetrics(const ResultRows& result, v1::DmlMetrics* out);
absl::Status ParseOptimize(const ResultRows& result, v1::OptimizeTableResponse* out);
absl::Status ParseVacuumDryRun(const ResultRows& result, v1::VacuumTableResponse* out);
// The number of files the latest VACUUM deleted, from DESCRIBE HISTORY rows (its
// "VACUUM END" entry); unset when the history does not record it.
absl::Status ParseVacuumHistory(const ResultRows& history, v1::VacuumTableResponse* out);
absl::Status ParseHistory(const ResultRows& result, v1::DescribeHistoryResponse* out);
absl::Status ParseRestore(const ResultRows& result, v1::RestoreTableResponse* out);
absl::Status ParseClone(const ResultRows& result, v1::CloneTableResponse* out);
// DESCRIBE TABLE rows (col_name, data_type, comment) up to the first "#" section.
absl::Status ParseTableSchema(const ResultRows& result, v1::Schema* out);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_DELTA_H_
