#include "client/cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace gateway::cli {
namespace {

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;  // a closed terminal: nothing more to show
    done += static_cast<size_t>(n);
  }
}

int TerminalWidth(int fd) {
  struct winsize size {};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string Elapsed(absl::Duration elapsed) {
  const int64_t seconds = absl::ToInt64Seconds(elapsed);
  return absl::StrFormat("%d:%02d", seconds / 60, seconds % 60);
}

}  // namespace

ProgressLine::ProgressLine(bool enabled, int fd, std::ostream& out)
    : enabled_(enabled), fd_(fd), out_(out), start_(absl::Now()) {
  if (enabled_) ticker_ = std::thread([this] { Tick(); });
}

ProgressLine::~ProgressLine() { Finish(); }

bool ProgressLine::Interactive() { return ::isatty(STDOUT_FILENO) && ::isatty(STDERR_FILENO); }

void ProgressLine::Set(const std::string& text) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  text_ = text;
  if (!finished_) DrawLocked();
}

void ProgressLine::Print(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool was_drawn = drawn_;
  if (drawn_) ClearLocked();
  out_ << text;
  out_.flush();
  if (was_drawn && !finished_) DrawLocked();
}

void ProgressLine::Finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    if (drawn_) ClearLocked();
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void ProgressLine::DrawLocked() {
  if (text_.empty()) return;
  std::string line = absl::StrCat(text_, "  ", Elapsed(absl::Now() - start_));
  // A line longer than the terminal would wrap, and \r could no longer take it back.
  const auto width = static_cast<size_t>(TerminalWidth(fd_));
  if (line.size() >= width) line.resize(width - 1);
  WriteAll(fd_, absl::StrCat("\r\033[K", line));
  drawn_ = true;
}

void ProgressLine::ClearLocked() {
  WriteAll(fd_, "\r\033[K");
  drawn_ = false;
}

void ProgressLine::Tick() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!finished_) {
    wake_.wait_for(lock, std::chrono::milliseconds(250));
    if (!finished_ && drawn_) DrawLocked();
  }
}

}  // namespace gateway::cli
