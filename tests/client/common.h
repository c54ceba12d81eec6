// The stack the client tests run against: the emulator and the gateway with two tenants,
// and `dbgw` run as a child process against it.
#ifndef TESTS_CLIENT_COMMON_H_
#define TESTS_CLIENT_COMMON_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "tests/harness/process.h"
#include "tests/integration/stack.h"

namespace gateway::testing {

// Runs quickly; /Workspace/fail* fails, /Workspace/steady* runs 3 s, /Workspace/slow* a
// minute; statements with load_marker take 3 s, with slow_marker a minute.
inline constexpr char kClientEmulator[] = R"yaml(
jobs:
  pending_seconds: 0.2
  running_seconds: 0.6
  terminating_seconds: 0.1
  outcomes:
    - match: {notebook_path: "/Workspace/fail*"}
      result_state: FAILED
      error: "Exception: scripted failure"
    - match: {notebook_path: "/Workspace/slow*"}
      running_seconds: 60
    - match: {notebook_path: "/Workspace/steady*"}
      running_seconds: 3
    - match: {notebook_path: "/Workspace/answer*"}
      notebook_output: "42"
sql:
  warehouse_start_seconds: 1
  warehouses:
    - {id: wh1, name: Main, state: RUNNING}
    - {id: wh2, name: Spare, state: STOPPED}
  timings:
    - {contains: "slow_marker", execution_seconds: 60}
    - {contains: "load_marker", execution_seconds: 3}
catalog:
  catalogs: {main: [default]}
)yaml";

// Tenant "team" (key team-key) without limits, tenant "stingy" (key stingy-key) allowed
// one call per 100 s, so its second call is refused with a 100 s RetryInfo, beyond what
// the client waits for, and tenant "paced" (key paced-key) at 2 calls per second.
inline StackOptions ClientStackOptions() {
  StackOptions options;
  options.emulator_yaml = kClientEmulator;
  options.workspace_yaml =
      "    default_warehouse_id: wh1\n"
      "    default_catalog: main\n"
      "    default_schema: default\n";
  options.gateway_yaml = absl::StrReplaceAll(R"yaml(
credential_pools:
  - name: shared
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - name: team
    api_key_sha256: [TEAM]
    credential_pool: shared
  - name: stingy
    api_key_sha256: [STINGY]
    credential_pool: shared
    quota: {requests_per_second: 0.01, burst: 1}
  - name: paced
    api_key_sha256: [PACED]
    credential_pool: shared
    quota: {requests_per_second: 2, burst: 1}
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml",
                                             {{"TEAM", Sha256Hex("team-key")},
                                              {"STINGY", Sha256Hex("stingy-key")},
                                              {"PACED", Sha256Hex("paced-key")}});
  options.gateway_env = {{"HANDLE_KEY", "client-test-handle-signing-key-padded-to-32-bytes"}};
  return options;
}

}  // namespace gateway::testing

#endif  // TESTS_CLIENT_COMMON_H_
