#include "tests/bench/nginx_proxy.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gateway::bench {

using testing::FindOnPath;
using testing::FreePort;
using testing::HttpRequest;
using testing::PollUntil;
using testing::Subprocess;
using testing::WriteFile;

absl::StatusOr<std::unique_ptr<NginxProxy>> NginxProxy::Start(const NginxOptions& options) {
  std::string nginx = FindOnPath("nginx");
  if (nginx.empty()) {
    return absl::FailedPreconditionError(
        "nginx is not on PATH (make bench installs Debian's nginx; it lives in /usr/sbin)");
  }
  const int port = FreePort();
  std::string tenants;
  for (const auto& [key, tenant] : options.tenants) {
    absl::StrAppend(&tenants, "    \"Bearer ", key, "\" ", tenant, ";\n");
  }
  const std::string& dir = options.directory;
  const std::string config = absl::StrCat(
      "daemon off;\n"
      "worker_processes ",
      options.workers,
      ";\n"
      "pid ",
      dir,
      "/nginx.pid;\n"
      "error_log ",
      dir,
      "/error.log warn;\n"
      "events { worker_connections 4096; }\n"
      "http {\n"
      "  access_log off;\n"
      "  client_body_temp_path ",
      dir,
      "/client_body;\n"
      "  proxy_temp_path ",
      dir,
      "/proxy;\n"
      "  fastcgi_temp_path ",
      dir,
      "/fastcgi;\n"
      "  uwsgi_temp_path ",
      dir,
      "/uwsgi;\n"
      "  scgi_temp_path ",
      dir,
      "/scgi;\n"
      "  # The caller's key names its tenant; an unknown key has none.\n"
      "  map $http_authorization $tenant {\n"
      "    default \"\";\n",
      tenants,
      "  }\n"
      "  limit_req_zone $tenant zone=tenants:10m rate=",
      options.rate_per_second,
      "r/s;\n"
      "  limit_req_status 429;\n"
      "  # The upstream group: the emulator on 127.0.0.1; proxy_pass names it by this name.\n"
      "  upstream databricks {\n"
      "    server 127.0.0.1:",
      options.upstream_port,
      ";\n"
      "    keepalive 128;\n"
      "  }\n"
      "  server {\n"
      "    listen 127.0.0.1:",
      port,
      ";\n"
      "    keepalive_requests 1000000;\n"
      "    location /api/ {\n"
      "      if ($tenant = \"\") { return 401; }\n"
      "      limit_req zone=tenants burst=",
      options.burst,
      " nodelay;\n"
      "      proxy_pass http://databricks;\n"
      "      proxy_http_version 1.1;\n"
      "      proxy_set_header Connection \"\";\n"
      "      proxy_set_header Authorization \"Bearer ",
      options.upstream_token,
      "\";\n"
      "    }\n"
      "  }\n"
      "}\n");
  const std::string config_path = absl::StrCat(dir, "/nginx.conf");
  WriteFile(config_path, config);
  absl::StatusOr<Subprocess> process =
      Subprocess::Start({nginx, "-p", dir, "-c", config_path}, {}, dir + "/stderr.log");
  if (!process.ok()) return process.status();
  auto proxy = std::unique_ptr<NginxProxy>(
      new NginxProxy(port, std::make_unique<Subprocess>(*std::move(process))));
  const bool up =
      PollUntil([port] { return HttpRequest(port, "GET", "/").ok(); }, absl::Seconds(10));
  if (!up) {
    return absl::UnavailableError(absl::StrCat("nginx did not start on 127.0.0.1:", port, ":\n",
                                               testing::ReadFile(dir + "/stderr.log"),
                                               testing::ReadFile(dir + "/error.log")));
  }
  return proxy;
}

NginxProxy::~NginxProxy() {
  // SIGQUIT: nginx's graceful stop; the Subprocess kills it if it has not exited.
  process_->Signal(SIGQUIT);
  process_->Wait(absl::Seconds(5));
}

}  // namespace gateway::bench
