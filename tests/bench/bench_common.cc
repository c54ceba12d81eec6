#include "tests/bench/bench_common.h"

#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gateway::bench {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The fields of /proc/PID/stat after the command name (which may hold spaces): index 0
// is the state, 1 the parent, 11 utime, 12 stime.
std::vector<std::string> StatFields(pid_t pid) {
  const std::string stat = Slurp(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return {};
  return absl::StrSplit(stat.substr(paren + 2), ' ');
}

double OwnCpuSeconds(pid_t pid) {
  const std::vector<std::string> fields = StatFields(pid);
  int64_t user = 0;
  int64_t system = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user) ||
      !absl::SimpleAtoi(fields[12], &system)) {
    return 0;
  }
  return static_cast<double>(user + system) / sysconf(_SC_CLK_TCK);
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    pid_t candidate = 0;
    if (!absl::SimpleAtoi(entry->d_name, &candidate)) continue;
    const std::vector<std::string> fields = StatFields(candidate);
    pid_t parent = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &parent) && parent == pid) {
      children.push_back(candidate);
    }
  }
  closedir(proc);
  return children;
}

double CpuSeconds(pid_t pid, bool with_children) {
  double seconds = OwnCpuSeconds(pid);
  if (with_children) {
    for (pid_t child : ChildrenOf(pid)) seconds += OwnCpuSeconds(child);
  }
  return seconds;
}

int64_t StatusKb(pid_t pid, const std::string& field) {
  std::istringstream status(Slurp(absl::StrCat("/proc/", pid, "/status")));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view value = line;
    if (!absl::ConsumePrefix(&value, field + ":")) continue;
    int64_t kb = -1;
    value = absl::StripAsciiWhitespace(value);
    absl::ConsumeSuffix(&value, " kB");
    return absl::SimpleAtoi(value, &kb) ? kb : -1;
  }
  return -1;
}

bool ResetPeakRss(pid_t pid) {
  std::ofstream out(absl::StrCat("/proc/", pid, "/clear_refs"));
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

std::string MachineDescription() {
  std::string model = "unknown CPU";
  std::istringstream cpuinfo(Slurp("/proc/cpuinfo"));
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (absl::StartsWith(line, "model name")) {
      model = std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  int64_t memory_kb = 0;
  std::istringstream meminfo(Slurp("/proc/meminfo"));
  while (std::getline(meminfo, line)) {
    absl::string_view value = line;
    if (absl::ConsumePrefix(&value, "MemTotal:")) {
      absl::ConsumeSuffix(&value, " kB");
      (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &memory_kb);
    }
  }
  utsname name{};
  uname(&name);
  return absl::StrFormat("%s, %d cores, %.0f GiB, %s %s", model,
                         std::thread::hardware_concurrency(), memory_kb / 1048576.0, name.sysname,
                         name.release);
}

std::string Today() { return absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone()); }

absl::Status ReplaceSection(const std::string& path, const std::string& name,
                            const std::string& markdown) {
  const std::string text = Slurp(path);
  const std::string begin = absl::StrCat("<!-- begin ", name, " -->\n");
  const std::string end = absl::StrCat("<!-- end ", name, " -->");
  const size_t from = text.find(begin);
  const size_t to = text.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from) {
    return absl::NotFoundError(absl::StrCat(
        path, " has no section \"", begin.substr(0, begin.size() - 1), "\" … \"", end, "\""));
  }
  std::ofstream out(path, std::ios::trunc);
  out << text.substr(0, from + begin.size()) << markdown
      << (markdown.empty() || markdown.back() == '\n' ? "" : "\n") << text.substr(to);
  return out ? absl::OkStatus() : absl::UnavailableError(absl::StrCat("cannot write ", path));
}

std::string MeasuredBy(const std::string& command, const std::string& source) {
  return absl::StrCat("Measured ", Today(), " on ", MachineDescription(), ", with `", command,
                      "` (`", source, "`, `-c opt`)");
}

bool PublishFlag(const std::string& arg, std::string* doc, std::string* command) {
  absl::string_view value = arg;
  if (absl::ConsumePrefix(&value, "--doc=")) {
    *doc = std::string(value);
    return true;
  }
  if (absl::ConsumePrefix(&value, "--command=")) {
    *command = std::string(value);
    return true;
  }
  return false;
}

bool Publish(const std::string& doc, const std::string& name, const std::string& markdown) {
  std::cout << "\n" << markdown;
  if (doc.empty()) return true;
  const absl::Status written = ReplaceSection(doc, name, markdown);
  if (!written.ok()) {
    std::cerr << written.message() << "\n";
    return false;
  }
  std::cout << "\nwrote the " << name << " section of " << doc << "\n";
  return true;
}

int RunMain(int (*main)(int, char**), int argc, char** argv) {
  try {
    return main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << argv[0] << ": " << e.what() << "\n";
  } catch (...) {
    std::cerr << argv[0] << ": an unknown exception\n";
  }
  return 1;
}

}  // namespace gateway::bench
