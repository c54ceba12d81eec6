// Options of the gateway process itself: listeners, shutdown, logging.
#ifndef SERVER_APP_OPTIONS_H_
#define SERVER_APP_OPTIONS_H_

#include <string>

#include "server/common/log.h"
#include "server/common/secret.h"

namespace gateway::app {

// TLS of the gRPC listener, and callers' client certificates (mTLS).
struct TlsOptions {
  // PEM certificate chain and private key of the listener; both empty: plaintext.
  std::string cert_file;
  std::string key_file;
  // PEM CAs whose client certificates identify callers (tenants[].mtls_identities);
  // empty: no client certificate is requested.
  std::string client_ca_file;
  // Refuse a handshake without a valid client certificate; otherwise callers without one
  // may still present an API key.
  bool require_client_cert = false;

  bool enabled() const { return !cert_file.empty(); }
  bool operator==(const TlsOptions& o) const {
    return cert_file == o.cert_file && key_file == o.key_file &&
           client_ca_file == o.client_ca_file && require_client_cert == o.require_client_cert;
  }
  bool operator!=(const TlsOptions& o) const { return !(*this == o); }
};

struct ServerOptions {
  // gRPC listener, host:port.
  std::string grpc_address = "0.0.0.0:50051";
  // Admin HTTP listener (/metrics, /healthz, /readyz, /config), host:port. Loopback by
  // default: Kubernetes manifests set 0.0.0.0 for the probes and Prometheus.
  std::string admin_address = "127.0.0.1:9090";
  // Bearer token that /config requires when admin_address is not loopback (unset: /config
  // is refused there). Read at start.
  SecretRef admin_token;
  bool has_admin_token = false;
  // TLS of the gRPC listener; off by default.
  TlsOptions tls;
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
