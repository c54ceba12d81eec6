// Emulated SQL Statement Execution API 2.0 and SQL Warehouses API 2.0, over the DeltaEngine.
//
// A statement waits in PENDING while its warehouse starts, RUNNING for its configured
// execution time, and executes on the engine at the instant it finishes, so a cancel before
// then leaves no trace. POST waits up to wait_timeout for a terminal state by holding the
// response (a long poll answered when the clock reaches it). Not thread-safe.
#ifndef TESTS_EMULATOR_SQL_API_H_
#define TESTS_EMULATOR_SQL_API_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/emulator/delta_engine.h"
#include "tests/emulator/rest.h"

namespace emulator {

struct WarehouseSpec {
  std::string id;
  std::string name;
  std::string cluster_size = "2X-Small";
  std::string state = "RUNNING";   // RUNNING or STOPPED at start
  std::string health = "HEALTHY";  // HEALTHY, DEGRADED, FAILED
  std::string health_summary;
};

// Statements whose text contains `contains` take `execution_ms` to run.
struct StatementTiming {
  std::string contains;
  int64_t execution_ms = 0;
};

struct SqlOptions {
  int64_t execution_ms = 0;
  std::vector<StatementTiming> timings;
  int64_t chunk_rows = 10000;
  int64_t chunk_bytes = 4 << 20;
  int64_t inline_limit_bytes = 25 << 20;
  int64_t result_ttl_ms = int64_t{3600} * 1000;            // SUCCEEDED -> CLOSED
  int64_t retention_ms = int64_t{12} * 3600 * 1000;        // terminal -> 404
  int64_t abandon_ms = int64_t{15} * 60 * 1000;            // no poll -> CANCELED
  int64_t external_link_ttl_ms = int64_t{15} * 60 * 1000;  // presigned link lifetime
  int64_t warehouse_start_ms = 5000;
  bool auto_start = true;  // a statement on a STOPPED warehouse starts it (else FAILED)
  std::vector<WarehouseSpec> warehouses = {
      WarehouseSpec{"emulator-warehouse", "Emulator", "2X-Small", "RUNNING", "HEALTHY", ""}};
  std::string host = "http://127.0.0.1";  // for external links and odbc_params
};

class SqlApi {
 public:
  SqlApi(SqlOptions options, DeltaEngine* engine) : options_(std::move(options)), engine_(engine) {
    for (const WarehouseSpec& spec : options_.warehouses) {
      Warehouse w;
      w.spec = spec;
      w.state = spec.state;
      warehouses_[spec.id] = w;
    }
  }

  // /api/2.0/sql/statements... and /api/2.0/sql/warehouses...; `route` follows "sql/".
  // Calls `respond` exactly once, possibly later (from AdvanceTo).
  void Handle(const Request& request, absl::string_view route, const std::string& user,
              int64_t now_ms, const gateway::http::Responder& respond);
  // GET of an external link (path after "/emulator-files/").
  Response ExternalLink(const Request& request, absl::string_view rest, int64_t now_ms);
  // Moves statements and warehouses to `now_ms` and answers waits that are due.
  void AdvanceTo(int64_t now_ms);
  // Answers every held request with the statement's current state (at shutdown).
  void ReleaseWaiters(int64_t now_ms);
  bool HasWaiters() const { return !waiters_.empty(); }
  void set_host(std::string host) { options_.host = std::move(host); }

 private:
  struct Chunk {
    int64_t row_offset = 0, row_count = 0, byte_count = 0;
  };
  struct Statement {
    std::string id;
    int64_t sequence = 0;
    std::string warehouse_id, text, catalog, schema, user;
    std::vector<SqlParameter> parameters;
    std::string disposition = "INLINE", format = "JSON_ARRAY";
    int64_t row_limit = -1, byte_limit = -1;
    int64_t submitted_ms = 0, execution_ms = 0;
    int64_t running_ms = -1;  // when it started running; -1 while PENDING
    int64_t terminal_ms = -1;
    int64_t last_poll_ms = 0;
    std::string state = "PENDING";
    ResultSet result;
    std::vector<Chunk> chunks;
    bool truncated = false;
    SqlFailure failure;
    std::string link_secret;
  };
  struct Warehouse {
    WarehouseSpec spec;
    std::string state;
    int64_t ready_ms = 0;  // STARTING -> RUNNING
  };
  struct Waiter {
    std::string statement_id;
    int64_t deadline_ms;
    bool cancel_on_timeout;
    gateway::http::Responder respond;
  };

  Response Execute(const Request& request, const std::string& user, int64_t now_ms,
                   gateway::http::Responder* hold);
  Response GetStatement(absl::string_view id, int64_t now_ms);
  Response GetChunk(absl::string_view id, absl::string_view index, int64_t now_ms);
  Response Cancel(absl::string_view id, int64_t now_ms);
  Response ListWarehouses(const Request& request, int64_t now_ms);
  Response WarehouseAction(const Request& request, absl::string_view id, absl::string_view action,
                           int64_t now_ms);

  void Finish(Statement& s, int64_t at_ms);
  void StartWarehouse(Warehouse& w, int64_t now_ms) const;
  json::Value StatementJson(const Statement& s) const;
  json::Value ChunkJson(const Statement& s, size_t index) const;
  json::Value WarehouseJson(const Warehouse& w) const;
  Statement* Find(absl::string_view id);

  SqlOptions options_;
  DeltaEngine* engine_;
  std::map<std::string, Statement> statements_;
  // Non-terminal statements: the only ones AdvanceTo has to move. Lifetimes (CLOSED, removal)
  // are swept at most once per emulated second, so cost does not grow with history.
  std::set<std::string> active_;
  int64_t last_sweep_ms_ = 0;
  std::map<std::string, Warehouse> warehouses_;
  std::vector<Waiter> waiters_;
  int64_t next_sequence_ = 1;
};

}  // namespace emulator

#endif  // TESTS_EMULATOR_SQL_API_H_
