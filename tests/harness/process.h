// Test harness: runs a program of this repository as a child process, the way an
// operator would, and observes it from outside.
#ifndef TESTS_HARNESS_PROCESS_H_
#define TESTS_HARNESS_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gateway::testing {

// The path of a runfile, e.g. "server/gateway", for a test with it in `data`.
std::string Runfile(const std::string& path);

// A writable scratch directory for this test (TEST_TMPDIR).
std::string TempDir();

// Writes `contents` to `path`, replacing it.
void WriteFile(const std::string& path, const std::string& contents);

// Reads a whole file; empty if it cannot be read.
std::string ReadFile(const std::string& path);

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`, the current environment plus `env` (a value of "" removes
  // the variable). stdout is read
  // through a pipe (ReadLine); stderr goes to `stderr_path`.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::map<std::string, std::string>& env,
                                          const std::string& stderr_path);
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  // Kills the process (SIGKILL) if it still runs.
  ~Subprocess();

  // The next line of stdout, or nullopt at end of file or after `timeout`.
  std::optional<std::string> ReadLine(absl::Duration timeout);
  // Sends `signal_number`.
  void Signal(int signal_number) const;
  // Waits up to `timeout` for the process to exit; its exit status, or -1 if it was killed
  // by a signal, or nullopt if it is still running.
  std::optional<int> Wait(absl::Duration timeout);

  pid_t pid() const { return pid_; }

 private:
  Subprocess(pid_t pid, int stdout_fd, std::string stderr_path)
      : pid_(pid), stdout_fd_(stdout_fd), stderr_path_(std::move(stderr_path)) {}
  // Once the process has ended: fails the running test if its stderr holds a sanitizer
  // report (a sanitizer in a child reports there, and the test would not see it otherwise).
  void CheckForSanitizerReport();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  bool checked_ = false;
  std::string buffer_;
  std::optional<int> exit_status_;
};

// The first sanitizer report (AddressSanitizer, LeakSanitizer, ThreadSanitizer or
// UndefinedBehaviorSanitizer) in `output`, up to 4 KB of it; empty when there is none.
std::string SanitizerReport(const std::string& output);

// What a command run to its end printed and returned.
struct CommandResult {
  // The exit status; -1 when a signal ended it or it was killed after the timeout.
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to its end with the current environment plus `env` (a value of "" removes
// the variable), stdin read from `input`; kills it after `timeout`. A sanitizer report on
// its stderr fails the running test.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         absl::Duration timeout = absl::Seconds(60), const std::string& input = "");

// Polls `condition` every 20 ms until it is true or `timeout` passes; returns its last value.
template <typename Condition>
bool PollUntil(Condition condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case

  // The first header with this lower-case name, or "".
  std::string Header(const std::string& lower_case_name) const;
};

// A blocking HTTP/1.1 request to 127.0.0.1:`port`. UNAVAILABLE when the connection fails or
// is cut before a whole response arrives.
absl::StatusOr<HttpResponse> HttpRequest(
    int port, const std::string& method, const std::string& target, const std::string& body = "",
    const std::vector<std::pair<std::string, std::string>>& headers = {});

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// The full path of `program` found on PATH; empty if it is not there.
std::string FindOnPath(const std::string& program);

}  // namespace gateway::testing

#endif  // TESTS_HARNESS_PROCESS_H_
