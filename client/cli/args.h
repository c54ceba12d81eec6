// The command line of `dbgw`: command descriptions, the parser and the help text.
//
// Flags are `--name value` or `--name=value` and may come anywhere after the command
// words; `--` ends them. A flag without a value name is boolean. `-o` is `--output`,
// `-h` is `--help`.
#ifndef CLIENT_CLI_ARGS_H_
#define CLIENT_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gateway::cli {

struct FlagSpec {
  // Without the dashes: "warehouse".
  std::string name;
  // The value's placeholder in help ("ID"); empty: a boolean flag.
  std::string value_name;
  std::string help;
  // May be given more than once (each value is kept).
  bool repeated = false;
};

struct CommandSpec {
  // The command words: "jobs submit".
  std::string path;
  // One line for the command list.
  std::string summary;
  // The positional arguments for the usage line: "RUN_ID", "[SQL]".
  std::string arguments;
  int min_arguments = 0;
  int max_arguments = 0;
  std::vector<FlagSpec> flags;
  // More help text after the flags (examples, exit codes that apply).
  std::string details;
};

// The parsed command line of one command.
class ParsedArgs {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  // The last value of `flag`, or `fallback`.
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> GetAll(const std::string& flag) const;
  // The value as an integer; INVALID_ARGUMENT naming the flag when it is not one.
  absl::StatusOr<int64_t> GetInt(const std::string& flag, int64_t fallback) const;
  // The value as a duration ("30s", "5m", "1h30m"); INVALID_ARGUMENT naming the flag.
  absl::StatusOr<absl::Duration> GetDuration(const std::string& flag,
                                             absl::Duration fallback) const;

  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
};

// Parses `args` (the words after the command path) against the command's flags and the
// global ones. INVALID_ARGUMENT names the problem: an unknown flag, a missing value, a
// boolean given a value, a repeated single flag, too few or too many arguments.
absl::StatusOr<ParsedArgs> Parse(const CommandSpec& command, const std::vector<FlagSpec>& global,
                                 const std::vector<std::string>& args);

// `dbgw jobs get --help`.
std::string CommandHelp(const CommandSpec& command, const std::vector<FlagSpec>& global);

}  // namespace gateway::cli

#endif  // CLIENT_CLI_ARGS_H_
