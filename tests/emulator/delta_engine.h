// Delta tables on SQLite: the SQL half of the emulated workspace.
//
// Runs one Databricks SQL statement at a time with named parameters. Every write to a Delta
// table commits a new version holding its own snapshot (a SQLite table per version), so time
// travel, DESCRIBE HISTORY, RESTORE, OPTIMIZE and VACUUM behave as in Delta. The same catalog
// (catalogs, schemas, tables, columns) backs the emulated Unity Catalog API.
//
// What it does not understand it refuses with a Spark-style error class, never a silent wrong
// answer. Not thread-safe: the emulator serializes calls.
#ifndef TESTS_EMULATOR_DELTA_ENGINE_H_
#define TESTS_EMULATOR_DELTA_ENGINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/emulator/sql_types.h"

struct sqlite3;

namespace emulator {

struct ColumnSpec {
  std::string name;
  SqlType type;
  bool nullable = true;
  std::string comment;
};

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// One commit of a table.
struct TableVersion {
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  std::string user;
  std::string operation;  // "WRITE", "MERGE", ... as DESCRIBE HISTORY shows it
  StringPairs parameters;
  StringPairs metrics;
  int64_t read_version = -1;  // -1: none
  bool blind_append = false;
  std::string physical;  // the SQLite table with this version's rows
  std::vector<ColumnSpec> columns;
  std::map<std::string, std::string> properties;
  std::vector<int64_t> files;  // active data files (ids into Table::files)
};

// A data file as Delta would have written it; the emulator tracks them for OPTIMIZE and VACUUM
// metrics and for refusing time travel to vacuumed versions.
struct DataFile {
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t removed_ms = -1;  // when a commit removed it from the table; -1 while active
  bool deleted = false;     // removed from storage by VACUUM
};

struct Table {
  int64_t id = 0;
  std::string catalog, schema, name;
  std::string table_id;  // UUID
  std::string format = "DELTA";
  std::string table_type = "MANAGED";
  std::string comment;
  std::vector<std::string> partition_columns;
  std::string owner;
  int64_t created_at = 0;
  std::string created_by;
  int64_t updated_at = 0;
  std::string updated_by;
  std::string storage_location;
  std::vector<TableVersion> versions;  // versions[i].version == i
  std::map<int64_t, DataFile> files;
  int64_t next_file_id = 0;

  const TableVersion& current() const { return versions.back(); }
  std::string FullName() const { return catalog + "." + schema + "." + name; }
};

struct Schema {
  std::string catalog, name, comment, owner, schema_id;
  int64_t created_at = 0, updated_at = 0;
  std::map<std::string, std::unique_ptr<Table>> tables;  // by name
};

struct Catalog {
  std::string name, comment, owner;
  int64_t created_at = 0, updated_at = 0;
  std::map<std::string, Schema> schemas;  // by name
};

struct ResultColumn {
  std::string name;
  SqlType type;
  // Set for columns whose type the emulator cannot express as a SqlType (STRUCT, MAP).
  std::string complex_type_text;
};

struct ResultSet {
  std::vector<ResultColumn> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

struct SqlParameter {
  std::string name;
  std::optional<std::string> value;  // nullopt: SQL NULL
  std::string type = "STRING";
};

// A failed statement as the Statement Execution API reports it.
struct SqlFailure {
  std::string error_code = "BAD_REQUEST";
  std::string message;    // "[CLASS] text"
  std::string sql_state;  // empty when Spark has none
};

struct Session {
  std::string catalog = "main";
  std::string schema = "default";
  std::string user = "emulator-user";
  int64_t now_ms = 0;
};

struct EngineOptions {
  std::string metastore_id = "00000000-0000-0000-0000-00000000e4a1";
  std::string storage_root = "s3://emulator-metastore";
  std::string owner = "emulator-admin";
  int64_t created_ms = 0;  // creation time of the catalogs and schemas made at start
  // spark.databricks.delta.retentionDurationCheck.enabled
  bool retention_duration_check = true;
  // Catalog name -> schema names created at start.
  std::map<std::string, std::vector<std::string>> catalogs = {{"main", {"default"}}};
};

class DeltaEngine {
 public:
  static absl::StatusOr<std::unique_ptr<DeltaEngine>> Create(EngineOptions options);
  ~DeltaEngine();

  DeltaEngine(const DeltaEngine&) = delete;
  DeltaEngine& operator=(const DeltaEngine&) = delete;

  // Runs one statement. A SQL error is a status whose message carries Spark's error class
  // ("[TABLE_OR_VIEW_NOT_FOUND] ..."); the catalog and data are then unchanged.
  absl::StatusOr<ResultSet> Execute(absl::string_view sql,
                                    const std::vector<SqlParameter>& parameters,
                                    const Session& session);

  // How the Statement Execution API reports `status` (SQLSTATE from the error class).
  static SqlFailure ToFailure(const absl::Status& status);

  const std::map<std::string, Catalog>& catalogs() const { return catalogs_; }
  const Table* FindTable(absl::string_view catalog, absl::string_view schema,
                         absl::string_view name) const;

 private:
  class Statement;
  friend class Statement;
  DeltaEngine(sqlite3* db, EngineOptions options);

  sqlite3* db_;
  EngineOptions options_;
  std::map<std::string, Catalog> catalogs_;
  std::map<int64_t, Table*> tables_by_id_;
  int64_t next_table_id_ = 1;
  int64_t now_ms_ = 0;  // the running statement's time, for current_timestamp()
};

}  // namespace emulator

#endif  // TESTS_EMULATOR_DELTA_ENGINE_H_
