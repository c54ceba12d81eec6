#include "tests/harness/prometheus.h"

#include <csignal>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/url.h"

namespace gateway::testing {
namespace {

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d), "ms"); }

std::string Config(const PrometheusOptions& options) {
  std::string config = absl::StrCat("global:\n  scrape_interval: ", Seconds(options.interval),
                                    "\n  scrape_timeout: ", Seconds(options.interval),
                                    "\n  evaluation_interval: ", Seconds(options.interval), "\n");
  if (!options.rule_files.empty()) {
    absl::StrAppend(&config, "rule_files:\n");
    for (const std::string& file : options.rule_files) {
      absl::StrAppend(&config, "  - '", file, "'\n");
    }
  }
  absl::StrAppend(&config, "scrape_configs:\n  - job_name: '", options.job,
                  "'\n    static_configs:\n      - targets: ['",
                  absl::StrJoin(options.targets, "', '"), "']\n");
  return config;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PrometheusServer>> PrometheusServer::Start(
    const std::string& name, const PrometheusOptions& options) {
  const std::string binary = FindOnPath("prometheus");
  if (binary.empty()) {
    return absl::FailedPreconditionError("prometheus is not on PATH (make deps installs it)");
  }
  const int port = FreePort();
  if (port == 0) return absl::InternalError("no free port on 127.0.0.1");
  const std::string dir = absl::StrCat(TempDir(), "/", name, ".prometheus");
  const std::string config_path = dir + ".yml";
  WriteFile(config_path, Config(options));
  std::unique_ptr<PrometheusServer> server(new PrometheusServer(port, dir + ".log"));
  absl::StatusOr<Subprocess> process =
      Subprocess::Start({binary, "--config.file=" + config_path, "--storage.tsdb.path=" + dir,
                         absl::StrCat("--web.listen-address=127.0.0.1:", port), "--log.level=info"},
                        {}, server->log_path_);
  if (!process.ok()) return process.status();
  server->process_ = std::make_unique<Subprocess>(*std::move(process));
  const bool ready = PollUntil(
      [&] {
        absl::StatusOr<HttpResponse> response = HttpRequest(port, "GET", "/-/ready");
        return response.ok() && response->status == 200;
      },
      absl::Seconds(30));
  if (!ready) {
    return absl::UnavailableError(
        absl::StrCat("prometheus did not become ready on port ", port, ":\n", server->log()));
  }
  return server;
}

PrometheusServer::~PrometheusServer() {
  if (process_ != nullptr) {
    process_->Signal(SIGTERM);
    process_->Wait(absl::Seconds(10));
  }
}

absl::StatusOr<json::Value> PrometheusServer::Api(const std::string& path_and_query) const {
  absl::StatusOr<HttpResponse> response =
      HttpRequest(port_, "GET", absl::StrCat("/api/v1/", path_and_query));
  if (!response.ok()) return response.status();
  absl::StatusOr<json::Value> body = json::Parse(response->body);
  if (!body.ok()) {
    return absl::InternalError(
        absl::StrCat("prometheus answered ", response->status, " with no JSON: ", response->body));
  }
  const json::Value* status = body->Find("status");
  if (status == nullptr || !status->is_string() || status->as_string() != "success") {
    const json::Value* error = body->Find("error");
    return absl::InvalidArgumentError(
        absl::StrCat("prometheus: ",
                     error != nullptr && error->is_string() ? error->as_string() : body->Dump()));
  }
  const json::Value* data = body->Find("data");
  return data != nullptr ? *data : json::Value();
}

absl::StatusOr<json::Value> PrometheusServer::Query(const std::string& promql) const {
  absl::StatusOr<json::Value> data = Api(absl::StrCat("query?query=", UrlEncode(promql)));
  if (!data.ok()) return data.status();
  const json::Value* result = data->Find("result");
  if (result == nullptr || !result->is_array()) {
    return absl::InternalError(absl::StrCat("not an instant vector: ", data->Dump()));
  }
  return *result;
}

absl::StatusOr<std::vector<Alert>> PrometheusServer::Alerts() const {
  absl::StatusOr<json::Value> data = Api("alerts");
  if (!data.ok()) return data.status();
  std::vector<Alert> alerts;
  const json::Value* list = data->Find("alerts");
  if (list == nullptr || !list->is_array()) return alerts;
  for (const json::Value& item : list->as_array()) {
    Alert alert;
    if (const json::Value* labels = item.Find("labels"); labels != nullptr && labels->is_object()) {
      for (const auto& [key, value] : labels->as_object()) {
        if (value.is_string()) alert.labels[key] = value.as_string();
      }
    }
    alert.name = alert.labels["alertname"];
    if (const json::Value* state = item.Find("state"); state != nullptr && state->is_string()) {
      alert.state = state->as_string();
    }
    if (const json::Value* value = item.Find("value"); value != nullptr && value->is_string()) {
      alert.value = std::strtod(value->as_string().c_str(), nullptr);
    }
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

}  // namespace gateway::testing
