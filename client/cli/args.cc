#include "client/cli/args.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gateway::cli {
namespace {

const FlagSpec* FindFlag(const std::string& name, const CommandSpec& command,
                         const std::vector<FlagSpec>& global) {
  for (const FlagSpec& flag : command.flags) {
    if (flag.name == name) return &flag;
  }
  for (const FlagSpec& flag : global) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::string FlagLine(const FlagSpec& flag) {
  std::string left = absl::StrCat("  --", flag.name);
  if (!flag.value_name.empty()) absl::StrAppend(&left, " ", flag.value_name);
  if (flag.repeated) absl::StrAppend(&left, " ...");
  if (left.size() < 28) {
    left.resize(28, ' ');
  } else {
    absl::StrAppend(&left, "\n", std::string(28, ' '));
  }
  return absl::StrCat(left, flag.help, "\n");
}

}  // namespace

std::string ParsedArgs::Get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<int64_t> ParsedArgs::GetInt(const std::string& flag, int64_t fallback) const {
  if (!Has(flag)) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(Get(flag), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", Get(flag), "\" is not an integer"));
  }
  return value;
}

absl::StatusOr<absl::Duration> ParsedArgs::GetDuration(const std::string& flag,
                                                       absl::Duration fallback) const {
  if (!Has(flag)) return fallback;
  absl::Duration value;
  if (!absl::ParseDuration(Get(flag), &value) || value <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, ": \"", Get(flag), "\" is not a positive duration such as 30s, 5m or 1h"));
  }
  return value;
}

absl::StatusOr<ParsedArgs> Parse(const CommandSpec& command, const std::vector<FlagSpec>& global,
                                 const std::vector<std::string>& args) {
  ParsedArgs parsed;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string word = args[i];
    if (flags_done || word == "-" || !absl::StartsWith(word, "-")) {
      parsed.positional_.push_back(word);
      continue;
    }
    if (word == "--") {
      flags_done = true;
      continue;
    }
    if (word == "-o") word = "--output";
    if (word == "-h") word = "--help";
    if (!absl::StartsWith(word, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", word));
    }
    std::string name = word.substr(2);
    std::optional<std::string> value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    const FlagSpec* flag = FindFlag(name, command, global);
    if (flag == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (flag->value_name.empty()) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      value = "true";
    } else if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (", flag->value_name, ")"));
      }
      value = args[++i];
    }
    std::vector<std::string>& values = parsed.values_[name];
    if (!values.empty() && !flag->repeated && !flag->value_name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " is given more than once"));
    }
    values.push_back(*value);
  }
  if (parsed.Has("help")) return parsed;  // help needs no arguments
  const int count = static_cast<int>(parsed.positional_.size());
  if (count < command.min_arguments) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing argument: dbgw ", command.path, " ", command.arguments));
  }
  if (count > command.max_arguments) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"",
                                                   parsed.positional_[command.max_arguments],
                                                   "\" for dbgw ", command.path));
  }
  return parsed;
}

std::string CommandHelp(const CommandSpec& command, const std::vector<FlagSpec>& global) {
  std::string help = absl::StrCat("Usage: dbgw ", command.path);
  if (!command.flags.empty()) absl::StrAppend(&help, " [flags]");
  if (!command.arguments.empty()) absl::StrAppend(&help, " ", command.arguments);
  absl::StrAppend(&help, "\n\n", command.summary, "\n");
  if (!command.flags.empty()) {
    absl::StrAppend(&help, "\nFlags:\n");
    for (const FlagSpec& flag : command.flags) absl::StrAppend(&help, FlagLine(flag));
  }
  if (!command.details.empty()) absl::StrAppend(&help, "\n", command.details);
  absl::StrAppend(&help, "\nGlobal flags:\n");
  for (const FlagSpec& flag : global) absl::StrAppend(&help, FlagLine(flag));
  return help;
}

}  // namespace gateway::cli
