// Fuzzes the emulator's request handling: the Jobs API (2.1 and 2.2) and the SQL API
// (statements over the SQLite-backed Delta engine, and warehouses). The first byte picks the
// API; the first line of the rest is "METHOD route?query" (route after "jobs/" or "sql/"),
// the remainder the body. Properties: no crash; every request is answered exactly once, with
// a status from 200 to 599, and a JSON answer parses.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "server/common/json.h"
#include "tests/emulator/delta_engine.h"
#include "tests/emulator/jobs_api.h"
#include "tests/emulator/sql_api.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr int64_t kNowMs = 1'700'000'000'000;

void CheckAnswer(const gateway::http::Response& response, const std::string& route) {
  FUZZ_CHECK(response.status >= 200 && response.status <= 599, "%s: HTTP %d", route.c_str(),
             response.status);
  for (const auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, "content-type") && absl::StrContains(value, "json")) {
      FUZZ_CHECK(gateway::json::Parse(response.body).ok(), "%s: HTTP %d, not JSON: %s",
                 route.c_str(), response.status, response.body.c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::pair<std::string, std::string> head_body = absl::StrSplit(input, absl::MaxSplits('\n', 1));
  std::pair<std::string, std::string> method_target =
      absl::StrSplit(head_body.first, absl::MaxSplits(' ', 1));

  gateway::http::Request request;
  request.method = method_target.first;
  request.target = method_target.second;
  std::pair<std::string, std::string> path_query =
      absl::StrSplit(request.target, absl::MaxSplits('?', 1));
  request.path = path_query.first;
  request.query = path_query.second;
  request.body = head_body.second;
  request.headers = {{"content-type", "application/json"}};

  switch (data[0] % 3) {
    case 0:
    case 1: {
      emulator::JobsApi jobs{emulator::JobsOptions()};
      const bool v22 = data[0] % 3 == 1;
      CheckAnswer(jobs.Handle(request, request.path, v22, kNowMs), request.path);
      // The same request again later, when runs have moved on.
      jobs.AdvanceTo(kNowMs + 60'000);
      CheckAnswer(jobs.Handle(request, request.path, v22, kNowMs + 60'000), request.path);
      break;
    }
    default: {
      absl::StatusOr<std::unique_ptr<emulator::DeltaEngine>> engine =
          emulator::DeltaEngine::Create(emulator::EngineOptions());
      FUZZ_CHECK(engine.ok(), "engine: %s", std::string(engine.status().message()).c_str());
      emulator::SqlOptions options;
      emulator::WarehouseSpec warehouse;
      warehouse.id = "wh1";
      warehouse.name = "Main";
      options.warehouses = {warehouse};
      emulator::SqlApi sql(options, engine->get());
      int answers = 0;
      sql.Handle(request, request.path, "fuzzer", kNowMs,
                 [&](const gateway::http::Response& response) {
                   ++answers;
                   CheckAnswer(response, request.path);
                 });
      sql.AdvanceTo(kNowMs + 600'000);
      sql.ReleaseWaiters(kNowMs + 600'000);
      FUZZ_CHECK(answers == 1, "%s answered %d times", request.path.c_str(), answers);
      break;
    }
  }
  return 0;
}
