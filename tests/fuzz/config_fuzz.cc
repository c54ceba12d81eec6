// Fuzzes the config loader: any bytes as the YAML file. Beyond not crashing, a secret never
// shows: every variable that holds a secret (DATABRICKS_TOKEN, the client secrets, and any
// variable a `{env: NAME}` reference names) holds kSecret, and neither an error nor the
// redacted dump of a config that loaded may contain it. Settings such as DATABRICKS_HOST
// are unset: an error may quote their value, which is not secret.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "server/config/config.h"
#include "tests/fuzz/fuzz_check.h"

namespace {
constexpr char kSecret[] = "fuzz-secret-value-7f3a9c";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  if (absl::StrContains(yaml, kSecret)) return 0;  // the input may name it; that is not a leak
  const gateway::EnvReader env = [](absl::string_view name) -> std::optional<std::string> {
    const bool setting =
        (absl::StartsWith(name, "DATABRICKS_") || absl::StartsWith(name, "AZURE_")) &&
        name != "DATABRICKS_TOKEN" && name != "DATABRICKS_CLIENT_SECRET" &&
        name != "AZURE_CLIENT_SECRET";
    if (setting) return std::nullopt;
    return std::string(kSecret);
  };
  absl::StatusOr<gateway::config::GatewayConfig> config = gateway::config::ParseConfig(yaml, env);
  if (!config.ok()) {
    FUZZ_CHECK(!absl::StrContains(config.status().message(), kSecret), "error: %s",
               std::string(config.status().message()).c_str());
    return 0;
  }
  const std::string dump = gateway::config::RedactedYaml(*config);
  FUZZ_CHECK(!absl::StrContains(dump, kSecret), "dump: %s", dump.c_str());
  return 0;
}
