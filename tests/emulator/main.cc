// databricks_emulator: a Databricks workspace on loopback for tests and local runs.
//
//   databricks_emulator [--config=FILE] [--listen=HOST:PORT] [--port=N] [--manual-clock]
//                       [--replay=FILE]
//
// Prints "emulator listening: " and its base URL once it serves, then runs until SIGTERM or
// SIGINT. Exit status: 0 after a signal, 2 for bad flags or configuration, 1 if it cannot
// listen.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/emulator/config.h"
#include "tests/emulator/emulator.h"

namespace {

constexpr char kUsage[] =
    "usage: databricks_emulator [--config=FILE] [--listen=HOST:PORT] [--port=N] "
    "[--manual-clock] [--replay=FILE]\n"
    "\n"
    "A Databricks workspace on loopback: Jobs 2.1/2.2, SQL Statement Execution 2.0 over\n"
    "SQLite with Delta semantics, Unity Catalog 2.1, SQL warehouses, PAT/OAuth/Azure AD\n"
    "auth, throttling and fault injection. See docs/emulator.md.\n"
    "\n"
    "  --config=FILE     YAML configuration (default: built-in defaults, no tokens)\n"
    "  --listen=H:P      address to listen on (default 127.0.0.1:0, a free port)\n"
    "  --port=N          port on 127.0.0.1 (0 picks a free one)\n"
    "  --manual-clock    time moves only through POST /emulator/v1/clock/advance\n"
    "  --replay=FILE     answer API requests from a gateway recording (record.path) instead\n"
    "                    of emulating; unmatched requests get 400 REPLAY_NO_MATCH\n"
    "  --help            this text\n";

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::string listen;
  bool manual_clock = false;
  std::string replay_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    int port = 0;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (absl::StartsWith(arg, "--config=")) {
      config_path = arg.substr(9);
    } else if (absl::StartsWith(arg, "--listen=")) {
      listen = arg.substr(9);
    } else if (absl::StartsWith(arg, "--port=") && absl::SimpleAtoi(arg.substr(7), &port) &&
               port >= 0 && port < 65536) {
      listen = absl::StrCat("127.0.0.1:", port);
    } else if (arg == "--manual-clock") {
      manual_clock = true;
    } else if (absl::StartsWith(arg, "--replay=") && arg.size() > 9) {
      replay_path = arg.substr(9);
    } else {
      std::cerr << "databricks_emulator: unknown or malformed flag " << arg << "\n" << kUsage;
      return 2;
    }
  }
  emulator::EmulatorOptions options;
  if (!config_path.empty()) {
    std::ifstream in(config_path);
    if (!in) {
      std::cerr << "databricks_emulator: cannot read " << config_path << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<emulator::EmulatorOptions> parsed = emulator::ParseOptionsYaml(text.str());
    if (!parsed.ok()) {
      std::cerr << "databricks_emulator: " << config_path << ":\n"
                << parsed.status().message() << "\n";
      return 2;
    }
    options = *std::move(parsed);
  }
  if (!listen.empty()) options.address = listen;
  if (manual_clock) options.manual_clock = true;
  if (!replay_path.empty()) options.replay_path = replay_path;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // the server threads inherit the mask

  absl::StatusOr<std::unique_ptr<emulator::Emulator>> server =
      emulator::Emulator::Start(std::move(options));
  if (!server.ok()) {
    std::cerr << "databricks_emulator: " << server.status().message() << "\n";
    return 1;
  }
  if (!replay_path.empty()) {
    std::cerr << "databricks_emulator: answering from the recording " << replay_path << "\n";
  }
  std::cout << "emulator listening: " << (*server)->base_url() << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  server->reset();
  return 0;
}
