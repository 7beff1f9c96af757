#include "tests/bench/proc.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace bench {
namespace {

std::vector<long> numeric_entries(const std::string& dir) {
  std::vector<long> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0') out.push_back(v);
  }
  ::closedir(d);
  return out;
}

// Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses):
// index 0 is field 3 (state).
std::vector<std::string> stat_fields(pid_t pid) {
  const std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = text.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream in(text.substr(close + 2));
  std::string f;
  while (in >> f) fields.push_back(f);
  return fields;
}

std::uint64_t field_u64(const std::vector<std::string>& f, std::size_t stat_field_number) {
  const std::size_t i = stat_field_number - 3;
  return i < f.size() ? std::strtoull(f[i].c_str(), nullptr, 10) : 0;
}

std::uint64_t status_kib(pid_t pid, const std::string& file, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':') {
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
    }
  }
  return 0;
}

void set_affinity(pid_t tid, const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpus.empty()) {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < n; ++c) CPU_SET(static_cast<int>(c), &set);
  } else {
    for (int c : cpus) CPU_SET(c, &set);
  }
  ::sched_setaffinity(tid, sizeof(set), &set);  // a task that just exited is not an error
}

// Process groups of the children alive now, for the signal handler (fixed size: async-signal-safe).
constexpr int kMaxChildren = 16;
volatile sig_atomic_t g_children[kMaxChildren] = {};

void remember(pid_t pid) {
  for (auto& slot : g_children) {
    if (slot == 0) {
      slot = pid;
      return;
    }
  }
}

void forget(pid_t pid) {
  for (auto& slot : g_children) {
    if (slot == pid) slot = 0;
  }
}

extern "C" void on_fatal_signal(int signal) {
  for (auto& slot : g_children) {
    if (slot > 0) ::kill(-static_cast<pid_t>(slot), SIGKILL);
  }
  ::_exit(128 + signal);
}

}  // namespace

void kill_children_on_signals() {
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  ::sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGHUP, &action, nullptr);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

CpuDelta operator-(const CpuSample& after, const CpuSample& before) {
  CpuDelta d;
  d.seconds = static_cast<double>(after.run_ns - before.run_ns) / 1e9;
  const double user = static_cast<double>(after.user_ticks) - static_cast<double>(before.user_ticks);
  const double sys = static_cast<double>(after.sys_ticks) - static_cast<double>(before.sys_ticks);
  d.user_share = user + sys >= 10 ? user / (user + sys) : -1;
  return d;
}

std::vector<pid_t> process_tree(pid_t root) {
  std::vector<pid_t> tree{root};
  std::multimap<pid_t, pid_t> children;  // parent -> child
  for (long pid : numeric_entries("/proc")) {
    const auto f = stat_fields(static_cast<pid_t>(pid));
    if (f.size() > 1) children.emplace(static_cast<pid_t>(std::atol(f[1].c_str())), static_cast<pid_t>(pid));
  }
  for (std::size_t i = 0; i < tree.size(); ++i) {
    auto [lo, hi] = children.equal_range(tree[i]);
    for (auto it = lo; it != hi; ++it) tree.push_back(it->second);
  }
  return tree;
}

CpuSample cpu_of_process(pid_t pid) {
  CpuSample s;
  const auto f = stat_fields(pid);
  s.user_ticks = field_u64(f, 14) + field_u64(f, 16);
  s.sys_ticks = field_u64(f, 15) + field_u64(f, 17);
  for (long tid : numeric_entries("/proc/" + std::to_string(pid) + "/task")) {
    const std::string text = read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/schedstat");
    s.run_ns += std::strtoull(text.c_str(), nullptr, 10);
  }
  return s;
}

CpuSample cpu_of_tree(pid_t root) {
  CpuSample s;
  for (pid_t pid : process_tree(root)) {
    const auto p = cpu_of_process(pid);
    s.user_ticks += p.user_ticks;
    s.sys_ticks += p.sys_ticks;
    s.run_ns += p.run_ns;
  }
  return s;
}

MemSample memory_of_tree(pid_t root) {
  MemSample m;
  m.rss_kib = status_kib(root, "status", "VmRSS");
  const auto tree = process_tree(root);
  m.processes = tree.size();
  for (pid_t pid : tree) m.pss_kib += status_kib(pid, "smaps_rollup", "Pss");
  return m;
}

void pin_tree(pid_t root, const std::vector<int>& cpus) {
  for (pid_t pid : process_tree(root)) {
    for (long tid : numeric_entries("/proc/" + std::to_string(pid) + "/task")) set_affinity(static_cast<pid_t>(tid), cpus);
  }
}

void pin_self(const std::vector<int>& cpus) { set_affinity(0, cpus); }

Child::Child(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_path);
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::setpgid(0, 0);                     // its own group: the driver stops it with its forked children
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // and it never outlives the driver
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here: no race with stop() before the child ran setpgid itself
  remember(pid_);
  ::close(log);
}

Child::~Child() {
  if (pid_ > 0) stop(std::chrono::seconds(2));
}

Child::Child(Child&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) stop(std::chrono::seconds(2));
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

bool Child::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    forget(pid_);
    ::kill(-pid_, SIGKILL);
    pid_ = -1;
    return false;
  }
  return true;
}

int Child::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || r < 0) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);  // the whole group: socat's forked children too
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);  // leftovers of the group (socat children whose parent exited first)
  forget(pid_);
  pid_ = -1;
  return status;
}

std::map<std::string, std::string> machine_facts() {
  std::map<std::string, std::string> facts;
  utsname u{};
  if (::uname(&u) == 0) facts["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  facts["cpus"] = std::to_string(::sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      facts["cpu_model"] = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::ifstream meminfo("/proc/meminfo");
  while (std::getline(meminfo, line)) {
    if (line.rfind("MemTotal:", 0) == 0) {
      facts["memory_kib"] = std::to_string(std::strtoull(line.c_str() + 9, nullptr, 10));
      break;
    }
  }
  return facts;
}

}  // namespace bench
