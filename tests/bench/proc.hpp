#pragma once
// What the benchmark reads from /proc about a relay, and the child processes it starts.
//
// A relay is a process tree: sshrelayd is one process (several threads); socat in fork mode is a parent
// plus one child per connection. CPU and memory are summed over the tree, read while the children are
// alive (a child's schedstat is gone once it is reaped).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bench {

struct CpuSample {
  std::uint64_t run_ns = 0;      // sum of the scheduler's run time over every live task (ns resolution)
  std::uint64_t user_ticks = 0;  // utime (+cutime) over the tree: clock ticks, for the user/system split
  std::uint64_t sys_ticks = 0;   // stime (+cstime)
};

struct CpuDelta {
  double seconds = 0;      // from run_ns
  double user_share = 0;   // utime / (utime + stime) over the interval, 0..1 (-1 when too few ticks)
};
CpuDelta operator-(const CpuSample& after, const CpuSample& before);

// The process and every descendant (found by scanning /proc for parent ids).
std::vector<pid_t> process_tree(pid_t root);
CpuSample cpu_of_tree(pid_t root);
// One process only (its threads), not its children.
CpuSample cpu_of_process(pid_t pid);

struct MemSample {
  std::uint64_t rss_kib = 0;  // VmRSS of the root process
  std::uint64_t pss_kib = 0;  // Pss summed over the tree (smaps_rollup): shared pages counted once
  std::size_t processes = 0;
};
MemSample memory_of_tree(pid_t root);

// Pins every thread of every process in the tree to `cpus` (empty: every online CPU).
void pin_tree(pid_t root, const std::vector<int>& cpus);
// Pins the calling process (the benchmark's single-threaded client).
void pin_self(const std::vector<int>& cpus);

// A child process: argv[0] looked up in PATH, stdin /dev/null, stdout+stderr appended to log_path.
class Child {
 public:
  Child() = default;
  Child(const std::vector<std::string>& argv, const std::string& log_path);
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the wait status (or -1 if there was no child).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
};

// SIGINT/SIGTERM/SIGHUP kill every Child's process group, then exit: a Ctrl-C leaves nothing behind.
void kill_children_on_signals();

// Reads a whole file; empty if it cannot be read.
std::string read_file(const std::string& path);
// Kernel, CPU model, CPU count: recorded with the results.
std::map<std::string, std::string> machine_facts();

}  // namespace bench
