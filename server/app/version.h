#ifndef SERVER_APP_VERSION_H_
#define SERVER_APP_VERSION_H_

namespace gateway::app {

// The gateway's version, reported by --version and gateway_build_info.
inline constexpr char kVersion[] = "0.1.0";

}  // namespace gateway::app

#endif  // SERVER_APP_VERSION_H_
