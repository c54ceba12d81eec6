// Options of the gateway process itself: listeners, shutdown, logging.
#ifndef SERVER_APP_OPTIONS_H_
#define SERVER_APP_OPTIONS_H_

#include <string>

#include "server/common/log.h"

namespace gateway::app {

struct ServerOptions {
  // gRPC listener, host:port.
  std::string grpc_address = "0.0.0.0:50051";
  // Admin HTTP listener (/metrics, /healthz, /readyz, /config), host:port.
  std::string admin_address = "0.0.0.0:9090";
  // Largest gRPC message accepted or sent.
  int max_message_bytes = 16 * 1024 * 1024;
  // After SIGTERM: how long in-flight calls may finish before they are cancelled.
  int drain_seconds = 20;
  // How often the config file is checked for changes, which reload it as SIGHUP does;
  // 0: only SIGHUP reloads. Read at start.
  int config_poll_seconds = 1;
  // Minimum level of log lines.
  LogLevel log_level = LogLevel::kInfo;
};

}  // namespace gateway::app

#endif  // SERVER_APP_OPTIONS_H_
