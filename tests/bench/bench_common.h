// What the benchmarks share: reading a process' CPU time and memory from /proc, describing
// the machine, and writing a results section into a document.
#ifndef TESTS_BENCH_BENCH_COMMON_H_
#define TESTS_BENCH_BENCH_COMMON_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace gateway::bench {

// User plus system CPU seconds of `pid` (all its threads), and of its child processes
// (nginx's workers) when `with_children`; from /proc/PID/stat, in clock ticks.
double CpuSeconds(pid_t pid, bool with_children = false);

// The processes whose parent is `pid`.
std::vector<pid_t> ChildrenOf(pid_t pid);

// A /proc/PID/status field in kB ("VmRSS", "VmHWM"); -1 when unreadable.
int64_t StatusKb(pid_t pid, const std::string& field);
// Resets VmHWM to the current RSS (/proc/PID/clear_refs); false when not permitted.
bool ResetPeakRss(pid_t pid);

// "AMD EPYC 7B13, 2 cores, 24 GiB, Linux 6.1.0": the CPU model, cores, memory, kernel.
std::string MachineDescription();
// Today's date, "2026-11-21".
std::string Today();

// "Measured 2026-11-21 on <machine>, with `make bench` (`tests/bench/x.cc`, `-c opt`)":
// the first line of every generated section.
std::string MeasuredBy(const std::string& command, const std::string& source);

// Takes the flags of every benchmark that writes a section, --doc=PATH and --command=TEXT
// (the command named in it); false for any other argument.
bool PublishFlag(const std::string& arg, std::string* doc, std::string* command);

// Prints `markdown` and, when `doc` is not empty, writes it into `doc`'s section `name`.
// False (with a message on stderr) when the section cannot be written.
bool Publish(const std::string& doc, const std::string& name, const std::string& markdown);

// Replaces the lines between "<!-- begin NAME -->" and "<!-- end NAME -->" in the
// document at `path` with `markdown`; the markers must be there.
absl::Status ReplaceSection(const std::string& path, const std::string& name,
                            const std::string& markdown);

// Runs a benchmark's `main` function: an exception that would escape it is printed with
// the program's name and becomes exit status 1.
int RunMain(int (*main)(int, char**), int argc, char** argv);

}  // namespace gateway::bench

#endif  // TESTS_BENCH_BENCH_COMMON_H_
