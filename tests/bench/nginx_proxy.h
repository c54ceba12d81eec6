// Debian's nginx as the reverse proxy a team would put in front of Databricks instead of
// the gateway: it authenticates callers by their key, limits each tenant's request rate
// (limit_req keyed by tenant), injects the workspace token, and proxies over keep-alive
// connections. Started on 127.0.0.1 and a free port, stopped with the object.
#ifndef TESTS_BENCH_NGINX_PROXY_H_
#define TESTS_BENCH_NGINX_PROXY_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/harness/process.h"

namespace gateway::bench {

struct NginxOptions {
  // Where its configuration, logs and temporary files go.
  std::string directory;
  int upstream_port = 0;
  // The token it sends upstream (Authorization: Bearer …).
  std::string upstream_token;
  // Caller key → tenant; any other key is refused with 401.
  std::map<std::string, std::string> tenants;
  // Each tenant's requests per second (limit_req rate) and burst.
  int rate_per_second = 100000;
  int burst = 100000;
  // Worker processes: one per core, as `worker_processes auto` would start here.
  int workers = 2;
};

class NginxProxy {
 public:
  static absl::StatusOr<std::unique_ptr<NginxProxy>> Start(const NginxOptions& options);
  ~NginxProxy();

  int port() const { return port_; }
  // The master process; its workers are its children.
  pid_t pid() const { return process_->pid(); }

 private:
  NginxProxy(int port, std::unique_ptr<testing::Subprocess> process)
      : port_(port), process_(std::move(process)) {}

  const int port_;
  std::unique_ptr<testing::Subprocess> process_;
};

}  // namespace gateway::bench

#endif  // TESTS_BENCH_NGINX_PROXY_H_
