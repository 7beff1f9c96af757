#pragma once
// The four measurements, each against one relay instance (a process tree whose CPU and memory are
// read from /proc around the measured part only: session setup and warm-up are outside the window).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/bench/conn.hpp"
#include "tests/bench/proc.hpp"

namespace bench {

struct Relay {
  Route route;
  pid_t pid = -1;
  // sshrelayd only: GET /statz on this port gives replay memory in use / peak. 0 = none.
  std::uint16_t statz_port = 0;
  // A second relay the bytes cross after the first (socat chained to socat: the baseline of a rendezvous
  // pair, whose bytes cross two hops). Its CPU counts with the first's. -1 = none.
  pid_t chained_pid = -1;
};
// CPU of the relay's tree, and of the chained relay's tree if there is one.
CpuSample cpu_of_relay(const Relay& relay);

struct BulkResult {
  std::string error;  // empty when the transfer completed
  std::uint64_t bytes = 0;
  double seconds = 0;
  CpuDelta cpu;
  double mib_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / (1 << 20) / seconds : 0; }
  double cpu_s_per_gib() const { return bytes ? cpu.seconds * static_cast<double>(1ull << 30) / static_cast<double>(bytes) : 0; }
};
enum class Direction { up, down };  // up: client -> target; down: target -> client
BulkResult run_bulk(const Relay& relay, Direction direction, std::uint64_t bytes, std::chrono::seconds limit);

struct LatencyResult {
  std::string error;
  std::size_t count = 0;
  double p50_us = 0, p99_us = 0, mean_us = 0, max_us = 0;
  CpuDelta cpu;
  double cpu_us_per_rt() const { return count ? cpu.seconds * 1e6 / static_cast<double>(count) : 0; }
};
LatencyResult run_latency(const Relay& relay, std::size_t warmup, std::size_t count, std::size_t size,
                          std::chrono::seconds limit);

// Resumes of one v4 session: `count` times its socket is dropped and the session resumed at
// `resume_port`, each followed by one 64 B echo (the resumed session carries bytes). Milliseconds from
// the new connect to RECONNECT_SUCCESS.
struct ReconnectResult {
  std::string error;
  std::size_t count = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};
ReconnectResult run_reconnects(const Relay& relay, std::uint16_t resume_port, std::size_t count, std::chrono::seconds limit);

struct SessionsResult {
  std::string error;        // the first failure seen, if any
  std::size_t requested = 0;
  std::size_t established = 0;
  std::size_t setup_failures = 0;
  std::size_t probe_failures = 0;  // sessions that no longer echoed after the idle hold
  bool stalled = false;            // setups stopped completing: the rest were abandoned
  double setup_seconds = 0;
  CpuDelta setup_cpu;
  CpuDelta client_cpu;       // this load client's own CPU during setup (it shares the machine)
  MemSample before, after;   // the relay tree, before the first session and after the idle hold
  // GET /healthz on a fresh connection every 20 ms while sessions are being set up (sshrelayd only): what
  // a load balancer's health check sees during a burst. Milliseconds; failures are errors or > 5 s.
  std::size_t health_checks = 0, health_failures = 0;
  double health_p50_ms = 0, health_p99_ms = 0, health_max_ms = 0;
  double rate() const { return setup_seconds > 0 ? static_cast<double>(established) / setup_seconds : 0; }
  double cpu_us_per_setup() const {
    return established ? setup_cpu.seconds * 1e6 / static_cast<double>(established) : 0;
  }
  double client_cpu_us_per_setup() const {
    return established ? client_cpu.seconds * 1e6 / static_cast<double>(established) : 0;
  }
  // VmRSS delta per session (Pss over the tree for a multi-process relay: a forked child's VmRSS counts
  // the pages it shares with its parent).
  double kib_per_session(bool use_pss) const {
    if (!established) return 0;
    const double delta = use_pss ? static_cast<double>(after.pss_kib) - static_cast<double>(before.pss_kib)
                                 : static_cast<double>(after.rss_kib) - static_cast<double>(before.rss_kib);
    return delta / static_cast<double>(established);
  }
};
SessionsResult run_sessions(const Relay& relay, std::size_t count, std::size_t window, std::chrono::milliseconds hold,
                            std::chrono::seconds limit);

struct SlowResult {
  std::string error;
  std::uint64_t bytes_expected = 0;
  std::uint64_t bytes_received = 0;
  bool pattern_ok = true;
  double paced_seconds = 0, total_seconds = 0;
  MemSample before;
  std::uint64_t rss_peak_kib = 0, pss_peak_kib = 0;
  std::optional<std::uint64_t> replay_peak_bytes;  // /statz, sshrelayd only
  bool survived() const { return error.empty() && pattern_ok && bytes_received == bytes_expected; }
};
SlowResult run_slow_reader(const Relay& relay, std::uint64_t bytes, std::uint64_t rate_bytes_per_s,
                           std::chrono::seconds paced_for, std::chrono::seconds limit);

// GET /statz from sshrelayd; empty on any failure.
std::string fetch_statz(std::uint16_t port);

}  // namespace bench
