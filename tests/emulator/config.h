// The emulator's configuration: a YAML file (tests/emulator/emulator.yaml is the default)
// read into EmulatorOptions. Unknown keys and wrong types are errors naming their path.
#ifndef TESTS_EMULATOR_CONFIG_H_
#define TESTS_EMULATOR_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/json.h"
#include "tests/emulator/emulator.h"

namespace emulator {

// Parses YAML text into options. Errors are INVALID_ARGUMENT listing every problem.
absl::StatusOr<EmulatorOptions> ParseOptionsYaml(absl::string_view yaml);
absl::StatusOr<EmulatorOptions> ParseOptions(const json::Value& root);

// The fault and throttle lists, as the config file and the control API give them.
absl::StatusOr<std::vector<FaultRule>> FaultsFromJson(const json::Value& list,
                                                      const std::string& path);
absl::StatusOr<std::vector<ThrottleRule>> ThrottlesFromJson(const json::Value& list,
                                                            const std::string& path);

// A YAML document as JSON: plain scalars become numbers, booleans or null when they read as
// such; quoted scalars stay strings.
absl::StatusOr<json::Value> YamlToJson(absl::string_view yaml);

}  // namespace emulator

#endif  // TESTS_EMULATOR_CONFIG_H_
