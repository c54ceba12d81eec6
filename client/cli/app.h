// `dbgw`: finds the command, reads the configuration (flags over environment over config
// file), connects and runs it.
#ifndef CLIENT_CLI_APP_H_
#define CLIENT_CLI_APP_H_

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/args.h"
#include "client/cli/output.h"
#include "client/gateway_client.h"

namespace gateway::cli {

// What the global flags, DBGW_* variables and the config file settle.
struct Settings {
  client::ClientOptions client;
  Format format = Format::kTable;
  // --timeout given: it bounds waits and streams too.
  std::optional<absl::Duration> timeout;
  bool progress = true;
};

// Settles the settings: defaults, then the config file (--config, else $DBGW_CONFIG, else
// $XDG_CONFIG_HOME/dbgw/config.yaml or ~/.config/dbgw/config.yaml when it exists), then
// DBGW_TARGET and DBGW_API_KEY, then the flags. INVALID_ARGUMENT names the source and
// what is wrong ("config ~/.config/dbgw/config.yaml: unknown key 'targt'").
absl::StatusOr<Settings> Settle(const ParsedArgs& args,
                                const std::map<std::string, std::string>& env);

// The global flags, accepted by every command.
const std::vector<FlagSpec>& GlobalFlags();

// Runs dbgw with `args` (without the program name); the exit code.
int Run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
        std::ostream& out, std::ostream& err);

}  // namespace gateway::cli

#endif  // CLIENT_CLI_APP_H_
