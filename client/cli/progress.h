// The live progress line of waits, row streams and table loads: one line on the terminal,
// redrawn in place with the elapsed time, cleared when the command prints its result.
// It is drawn only when stdout and stderr are terminals, so pipes and files never see it.
#ifndef CLIENT_CLI_PROGRESS_H_
#define CLIENT_CLI_PROGRESS_H_

#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace gateway::cli {

class ProgressLine {
 public:
  // `enabled` false: every method only passes output through. The line is written to
  // `fd` (stderr); results go to `out` (stdout).
  ProgressLine(bool enabled, int fd, std::ostream& out);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Whether stdout and stderr are both terminals.
  static bool Interactive();

  // Replaces the line's text ("run 17  RUNNING") and redraws it; the elapsed time is
  // appended and ticks on its own.
  void Set(const std::string& text);
  // Writes `text` to `out` with the line out of the way.
  void Print(const std::string& text);
  // Clears the line for good.
  void Finish();

 private:
  void DrawLocked();
  void ClearLocked();
  void Tick();

  const bool enabled_;
  const int fd_;
  std::ostream& out_;
  const absl::Time start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string text_;
  bool drawn_ = false;
  bool finished_ = false;
  std::thread ticker_;
};

}  // namespace gateway::cli

#endif  // CLIENT_CLI_PROGRESS_H_
