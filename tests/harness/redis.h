// A real redis-server (Debian's) for a test: on 127.0.0.1 and a free port, without
// persistence, stopped with the test. It can be stopped, started again on the same port,
// and paused, to script the failures a gateway must survive.
#ifndef TESTS_HARNESS_REDIS_H_
#define TESTS_HARNESS_REDIS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/harness/process.h"

namespace gateway::testing {

class RedisServer {
 public:
  // Starts redis-server (found on PATH); `name` names its log file. With a `password`,
  // clients must AUTH.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const std::string& name,
                                                            const std::string& password = "");
  ~RedisServer();

  int port() const { return port_; }
  // "127.0.0.1:PORT".
  std::string address() const;

  // Shuts it down (SIGTERM) and waits for it to exit.
  absl::Status Stop();
  // Starts it again on the same port, empty.
  absl::Status Restart();
  // SIGSTOP / SIGCONT: it keeps its connections but answers nothing while paused.
  void Pause() const;
  void Resume() const;

  // Runs one command on a new connection; the reply as text: a string or status as is, an
  // integer in decimal, nil as "(nil)", an error as "(error) …", an array as its elements
  // joined by spaces.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args) const;

 private:
  RedisServer(std::string name, std::string password, int port)
      : name_(std::move(name)), password_(std::move(password)), port_(port) {}
  absl::Status Launch();

  const std::string name_;
  const std::string password_;
  const int port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace gateway::testing

#endif  // TESTS_HARNESS_REDIS_H_
