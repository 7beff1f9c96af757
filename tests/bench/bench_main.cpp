// sshrelay_bench: the load client and driver of `make bench`.
//
//   sshrelay_bench suite --sshrelayd PATH --target PATH --out DIR
//       Starts the target, then for every measurement a fresh sshrelayd and a fresh socat relaying to the
//       same target (interleaved, so both see the same machine), prints the table and writes
//       DIR/results.json and DIR/results.txt. Sizes come from BENCH_* variables (see tests/bench/run).
//
//   sshrelay_bench phase NAME --kind v4|ws|tcp|rendezvous --relay-port P --target-port T --relay-pid PID
//                        [--chained-pid PID2] [--n N]
//       One measurement against relays you started yourself (for profiling: run the relay under perf).
//       NAME: bulk-up, bulk-down (N MiB), latency (N round trips), sessions (N), slow (N MiB).
//       rendezvous: pairs of legs (sshrelayd --dev); --chained-pid: a second relay whose CPU counts too
//       (socat chained to socat). Prints the result as JSON.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <tuple>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/phases.hpp"
#include "tests/bench/proc.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace bench;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------------
// Settings

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const auto n = std::strtoull(v, &end, 10);
  if (*end != '\0') throw std::runtime_error(std::string(name) + "=" + v + " is not a number");
  return n;
}

std::string env_str(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

struct Settings {
  std::uint64_t bulk_mib = env_u64("BENCH_BULK_MIB", 1024);
  std::uint64_t rtt_count = env_u64("BENCH_RTT_COUNT", 10000);
  std::uint64_t rtt_warmup = env_u64("BENCH_RTT_WARMUP", 1000);
  std::uint64_t rtt_size = env_u64("BENCH_RTT_SIZE", 64);
  std::vector<std::size_t> sessions;
  std::uint64_t setup_window = env_u64("BENCH_SETUP_WINDOW", 100);
  std::uint64_t idle_hold_ms = env_u64("BENCH_IDLE_HOLD_MS", 1000);
  std::uint64_t slow_mib = env_u64("BENCH_SLOW_MIB", 256);
  std::uint64_t slow_rate_kib = env_u64("BENCH_SLOW_RATE_KIB", 1024);
  std::uint64_t slow_seconds = env_u64("BENCH_SLOW_SECONDS", 20);
  std::uint64_t relay_threads = env_u64("BENCH_RELAY_THREADS", 2);
  std::uint64_t replay_buffer = env_u64("BENCH_REPLAY_BUFFER", 4 << 20);
  std::uint64_t pin_cpu = env_u64("BENCH_PIN_CPU", 0);
  std::uint64_t repeat = std::max<std::uint64_t>(1, env_u64("BENCH_REPEAT", 3));
  std::uint64_t rendezvous_pairs = env_u64("BENCH_RENDEZVOUS_PAIRS", 1000);
  std::uint64_t cluster_reconnects = env_u64("BENCH_CLUSTER_RECONNECTS", 200);
  std::vector<std::string> phases = split(env_str("BENCH_PHASES", "bulk,latency,sessions,slow,rendezvous,cluster"), ',');
  std::vector<std::string> relays = split(env_str("BENCH_RELAYS", "sshrelayd,socat"), ',');

  Settings() {
    for (const auto& s : split(env_str("BENCH_SESSIONS", "1000,10000"), ',')) sessions.push_back(std::stoul(s));
  }

  json to_json() const {
    return {{"BENCH_BULK_MIB", bulk_mib},           {"BENCH_RTT_COUNT", rtt_count},
            {"BENCH_RTT_WARMUP", rtt_warmup},       {"BENCH_RTT_SIZE", rtt_size},
            {"BENCH_SESSIONS", sessions},           {"BENCH_SETUP_WINDOW", setup_window},
            {"BENCH_IDLE_HOLD_MS", idle_hold_ms},   {"BENCH_SLOW_MIB", slow_mib},
            {"BENCH_SLOW_RATE_KIB", slow_rate_kib}, {"BENCH_SLOW_SECONDS", slow_seconds},
            {"BENCH_RELAY_THREADS", relay_threads}, {"BENCH_REPLAY_BUFFER", replay_buffer},
            {"BENCH_PIN_CPU", pin_cpu},             {"BENCH_REPEAT", repeat},
            {"BENCH_RENDEZVOUS_PAIRS", rendezvous_pairs},
            {"BENCH_CLUSTER_RECONNECTS", cluster_reconnects},
            {"BENCH_PHASES", phases},
            {"BENCH_RELAYS", relays}};
  }
};

// ---------------------------------------------------------------------------------------------------
// The processes: the target and the two relays

bool port_listening(std::uint16_t port) {
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", port);
  std::istringstream in(read_file("/proc/net/tcp"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, addr, remote, state;
    fields >> slot >> addr >> remote >> state;
    if (addr == local && state == "0A") return true;
  }
  return false;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

struct Paths {
  std::string sshrelayd, socat = "socat", target, out;
};

struct RelayInstance {
  Child process;
  Relay relay;
};

RelayInstance start_target(const Paths& paths, std::uint16_t& port) {
  const std::string port_file = paths.out + "/target.port";
  fs::remove(port_file);
  RelayInstance t;
  t.process = Child({paths.target, "--port-file", port_file}, paths.out + "/target.log");
  if (!wait_until([&] { return fs::exists(port_file); }, 10s)) throw std::runtime_error("the target did not start");
  port = static_cast<std::uint16_t>(std::stoul(read_file(port_file)));
  t.relay.pid = t.process.pid();
  return t;
}

RelayInstance start_sshrelayd(const Paths& paths, const Settings& s, std::uint16_t target_port, std::size_t max_sessions,
                              const std::vector<std::string>& more_flags = {}, const std::string& name = "sshrelayd") {
  const std::string ready = paths.out + "/" + name + ".ready.json";
  fs::remove(ready);
  RelayInstance r;
  std::vector<std::string> argv{paths.sshrelayd, "--unsafe-allow-loopback", "--identity-provider=none",
                                "--identity-upstream-enforces-auth", "--listen", "127.0.0.1:0", "--ready-file", ready,
                                "--log-level", "warn", "--threads", std::to_string(s.relay_threads), "--max-sessions-total",
                                std::to_string(max_sessions), "--max-replay-buffer", std::to_string(s.replay_buffer)};
  argv.insert(argv.end(), more_flags.begin(), more_flags.end());
  r.process = Child(argv, paths.out + "/" + name + ".log");
  std::uint16_t port = 0;
  wait_until(
      [&] {
        const auto doc = json::parse(read_file(ready), nullptr, false);
        if (!doc.is_object() || !doc.contains("listen") || doc["listen"].empty()) return false;
        const auto address = doc["listen"][0].get<std::string>();  // "127.0.0.1:PORT"
        port = static_cast<std::uint16_t>(std::atoi(address.c_str() + address.rfind(':') + 1));
        return port != 0;
      },
      15s);
  if (port == 0) throw std::runtime_error("sshrelayd did not start: see " + paths.out + "/" + name + ".log");
  r.relay = Relay{Route{Kind::v4, port, target_port}, r.process.pid(), port};
  return r;
}

RelayInstance start_socat(const Paths& paths, std::uint16_t target_port) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::uint16_t port = free_port();
    RelayInstance r;
    // -b 65536 as the issue states; backlog=4096 because socat's default of 5 drops connections under a
    // burst of connects (sshrelayd listens with SOMAXCONN).
    r.process = Child({paths.socat, "-b", "65536",
                       "TCP-LISTEN:" + std::to_string(port) + ",bind=127.0.0.1,reuseaddr,fork,backlog=4096",
                       "TCP:127.0.0.1:" + std::to_string(target_port)},
                      paths.out + "/socat.log");
    if (wait_until([&] { return port_listening(port) || !r.process.running(); }, 5s) && r.process.running()) {
      r.relay = Relay{Route{Kind::tcp, port, target_port}, r.process.pid(), 0};
      return r;
    }
  }
  throw std::runtime_error("socat did not start: see " + paths.out + "/socat.log");
}

// The flags a relay for rendezvous pairs adds: the admin API without an identity (--dev; the bench's
// --log-level warn stays), and room for every pair a phase opens. A pair's session outlives its legs
// (until its TTL), so each pair opened counts against --max-rendezvous-sessions for the relay's lifetime.
std::vector<std::string> rendezvous_flags(std::size_t pairs) {
  return {"--dev", "--max-rendezvous-sessions", std::to_string(pairs + 1000), "--max-rendezvous-per-principal", "0"};
}

// socat chained to socat: the baseline of a rendezvous pair, whose bytes cross the relay twice (into one
// leg, out of the other). client -> near socat -> far socat -> target, plain TCP; CPU summed over both.
struct SocatChain {
  RelayInstance far, near;
  Relay relay;
};

SocatChain start_socat_chain(const Paths& paths, std::uint16_t target_port) {
  SocatChain c;
  c.far = start_socat(paths, target_port);
  c.near = start_socat(paths, c.far.relay.route.relay_port);
  c.relay = c.near.relay;
  c.relay.route.target_port = target_port;
  c.relay.chained_pid = c.far.relay.pid;
  return c;
}

// ---------------------------------------------------------------------------------------------------
// Results and the table

json to_json(const CpuDelta& c) { return {{"seconds", c.seconds}, {"user_share", c.user_share}}; }
json to_json(const MemSample& m) { return {{"rss_kib", m.rss_kib}, {"pss_kib", m.pss_kib}, {"processes", m.processes}}; }
json to_json(const BulkResult& b) {
  return {{"error", b.error}, {"bytes", b.bytes}, {"seconds", b.seconds}, {"mib_per_s", b.mib_per_s()},
          {"cpu", to_json(b.cpu)}, {"cpu_s_per_gib", b.cpu_s_per_gib()}};
}
json to_json(const LatencyResult& l) {
  return {{"error", l.error}, {"count", l.count},   {"p50_us", l.p50_us},       {"p99_us", l.p99_us},
          {"mean_us", l.mean_us}, {"max_us", l.max_us}, {"cpu", to_json(l.cpu)}, {"cpu_us_per_rt", l.cpu_us_per_rt()}};
}
json to_json(const SessionsResult& s, bool pss) {
  return {{"error", s.error},
          {"requested", s.requested},
          {"established", s.established},
          {"setup_failures", s.setup_failures},
          {"probe_failures", s.probe_failures},
          {"setup_seconds", s.setup_seconds},
          {"setup_per_s", s.rate()},
          {"setup_cpu", to_json(s.setup_cpu)},
          {"cpu_us_per_setup", s.cpu_us_per_setup()},
          {"stalled", s.stalled},
          {"client_cpu_us_per_setup", s.client_cpu_us_per_setup()},
          {"memory_before", to_json(s.before)},
          {"memory_after", to_json(s.after)},
          {"kib_per_session_rss", s.kib_per_session(false)},
          {"kib_per_session_pss", s.kib_per_session(true)},
          {"kib_per_session", s.kib_per_session(pss)},
          {"memory_metric", pss ? "Pss over the process tree" : "VmRSS"},
          {"health_checks", s.health_checks},
          {"health_failures", s.health_failures},
          {"health_p50_ms", s.health_p50_ms},
          {"health_p99_ms", s.health_p99_ms},
          {"health_max_ms", s.health_max_ms}};
}
json to_json(const SlowResult& s, bool pss) {
  json j = {{"error", s.error},
            {"bytes_expected", s.bytes_expected},
            {"bytes_received", s.bytes_received},
            {"pattern_ok", s.pattern_ok},
            {"survived", s.survived()},
            {"paced_seconds", s.paced_seconds},
            {"total_seconds", s.total_seconds},
            {"memory_before", to_json(s.before)},
            {"rss_peak_kib", s.rss_peak_kib},
            {"pss_peak_kib", s.pss_peak_kib},
            {"growth_kib", pss ? static_cast<double>(s.pss_peak_kib) - static_cast<double>(s.before.pss_kib)
                               : static_cast<double>(s.rss_peak_kib) - static_cast<double>(s.before.rss_kib)}};
  if (s.replay_peak_bytes) j["replay_peak_bytes"] = *s.replay_peak_bytes;
  return j;
}

enum class Goal { none, ratio_at_most, value_at_most, value_at_least, is_true };

struct Row {
  Row(std::string f, std::optional<double> o, std::optional<double> t, int d, Goal g = Goal::none, double gv = 0,
      std::string n = {})
      : figure(std::move(f)), ours(o), theirs(t), decimals(d), goal(g), goal_value(gv), note(std::move(n)) {}
  std::string figure;
  std::optional<double> ours, theirs;  // sshrelayd, socat
  int decimals = 1;
  Goal goal = Goal::none;
  double goal_value = 0;
  std::string note;  // shown after the table
  std::string ours_text, theirs_text;  // instead of numbers (yes/no)
  std::optional<bool> met_override;
};

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::optional<double> ratio(const Row& r) {
  if (!r.ours || !r.theirs || *r.theirs == 0) return std::nullopt;
  return *r.ours / *r.theirs;
}

std::string target_text(const Row& r) {
  switch (r.goal) {
    case Goal::ratio_at_most: return "<= " + fmt(r.goal_value, 1) + "x socat";
    case Goal::value_at_most: return "<= " + fmt(r.goal_value, 0);
    case Goal::value_at_least: return ">= " + fmt(r.goal_value, 0);
    case Goal::is_true: return "yes";
    case Goal::none: return "-";
  }
  return "-";
}

std::optional<bool> met(const Row& r) {
  if (r.met_override) return r.met_override;
  switch (r.goal) {
    case Goal::ratio_at_most: {
      auto q = ratio(r);
      if (!q) return std::nullopt;
      return *q <= r.goal_value;
    }
    case Goal::value_at_most: return r.ours ? std::optional<bool>(*r.ours <= r.goal_value) : std::nullopt;
    case Goal::value_at_least: return r.ours ? std::optional<bool>(*r.ours >= r.goal_value) : std::nullopt;
    default: return std::nullopt;
  }
}

std::string render_table(const std::vector<Row>& rows) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-44s %12s %12s %7s %-15s %s\n", "figure", "sshrelayd", "socat", "ratio", "target",
                "met?");
  out << line << std::string(100, '-') << "\n";
  for (const auto& r : rows) {
    const std::string ours = !r.ours_text.empty() ? r.ours_text : r.ours ? fmt(*r.ours, r.decimals) : "n/a";
    const std::string theirs = !r.theirs_text.empty() ? r.theirs_text : r.theirs ? fmt(*r.theirs, r.decimals) : "n/a";
    const auto q = ratio(r);
    const auto m = met(r);
    std::snprintf(line, sizeof line, "%-44s %12s %12s %7s %-15s %s\n", r.figure.c_str(), ours.c_str(), theirs.c_str(),
                  q ? fmt(*q, 2).c_str() : "-", target_text(r).c_str(), m ? (*m ? "yes" : "NO") : "-");
    out << line;
  }
  bool first = true;
  for (const auto& r : rows) {
    if (r.note.empty()) continue;
    if (first) out << "\nnotes:\n";
    first = false;
    out << "  " << r.figure << ": " << r.note << "\n";
  }
  return out.str();
}

json rows_json(const std::vector<Row>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    json j = {{"figure", r.figure}, {"target", target_text(r)}};
    j["sshrelayd"] = r.ours ? json(*r.ours) : json(r.ours_text.empty() ? json(nullptr) : json(r.ours_text));
    j["socat"] = r.theirs ? json(*r.theirs) : json(r.theirs_text.empty() ? json(nullptr) : json(r.theirs_text));
    const auto q = ratio(r);
    j["ratio"] = q ? json(*q) : json(nullptr);
    const auto m = met(r);
    j["met"] = m ? json(*m) : json(nullptr);
    if (!r.note.empty()) j["note"] = r.note;
    out.push_back(j);
  }
  return out;
}

std::optional<double> when_ok(bool ran, const std::string& error, double value) {
  if (!ran || !error.empty()) return std::nullopt;
  return value;
}

std::string errors_note(const std::string& ours, const std::string& theirs) {
  std::string note;
  if (!ours.empty()) note += "sshrelayd: " + ours;
  if (!theirs.empty()) note += std::string(note.empty() ? "" : "; ") + "socat: " + theirs;
  return note;
}

// ---------------------------------------------------------------------------------------------------
// The suite

void log_progress(const std::string& text) {
  std::fprintf(stderr, "bench: %s\n", text.c_str());
  std::fflush(stderr);
}


// Two sshrelayd nodes of one cluster and their redis-server, for the cluster phase.
struct ClusterPair {
  Child redis;
  RelayInstance a, b;
};

ClusterPair start_cluster_pair(const Paths& paths, const Settings& s, std::uint16_t target_port) {
  ClusterPair c;
  const std::uint16_t redis_port = free_port();
  c.redis = Child({"redis-server", "--port", std::to_string(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"},
                  paths.out + "/redis.log");
  if (!wait_until([&] { return port_listening(redis_port); }, 10s)) throw std::runtime_error("redis-server did not start: see redis.log");
  const std::string secret = paths.out + "/cluster.secret";
  std::ofstream(secret) << "bench-cluster-secret-0123456789abcdef";
  const auto flags = [&](const std::string& id) {
    return std::vector<std::string>{"--cluster-redis", "redis://127.0.0.1:" + std::to_string(redis_port), "--cluster-listen",
                                    "127.0.0.1:0", "--cluster-secret-file", secret, "--cluster-node-id", id};
  };
  c.a = start_sshrelayd(paths, s, target_port, 1000, flags("a"), "sshrelayd-node-a");
  c.b = start_sshrelayd(paths, s, target_port, 1000, flags("b"), "sshrelayd-node-b");
  std::this_thread::sleep_for(2s);  // both registered, each has read the other
  return c;
}

void run_cluster_phase(const Paths& paths, const Settings& s, std::uint16_t target_port, std::chrono::seconds bulk_limit,
                       json& results, std::vector<Row>& rows) {
  if (::system("command -v redis-server >/dev/null 2>&1") != 0) {
    log_progress("cluster: no redis-server (bash scripts/setup installs it); skipped");
    return;
  }
  auto pair = start_cluster_pair(paths, s, target_port);
  Relay local = pair.a.relay;
  local.chained_pid = pair.b.relay.pid;
  local.route.resume_port = pair.a.relay.route.relay_port;
  Relay forwarded = local;
  forwarded.route.resume_port = pair.b.relay.route.relay_port;
  const std::uint64_t bytes = s.bulk_mib << 20;
  struct Set {
    BulkResult up, down;
  };
  std::vector<Set> runs_local, runs_forwarded;
  for (std::uint64_t rep = 1; rep <= s.repeat; ++rep) {
    const std::string of = s.repeat > 1 ? " [" + std::to_string(rep) + "/" + std::to_string(s.repeat) + "]" : "";
    for (auto [label, relay, runs] : {std::tuple{"local", &local, &runs_local}, std::tuple{"forwarded", &forwarded, &runs_forwarded}}) {
      log_progress(std::string("cluster: ") + label + " session, " + std::to_string(s.bulk_mib) + " MiB up and down" + of);
      runs->push_back({run_bulk(*relay, Direction::up, bytes, bulk_limit), run_bulk(*relay, Direction::down, bytes, bulk_limit)});
    }
  }
  auto median = [](std::vector<Set> runs, BulkResult Set::*member) {
    std::sort(runs.begin(), runs.end(), [&](const Set& x, const Set& y) {
      const auto cost = [](const BulkResult& r) { return r.error.empty() ? r.cpu_s_per_gib() : 1e300; };
      return cost(x.*member) < cost(y.*member);
    });
    return runs[runs.size() / 2].*member;
  };
  const std::size_t n = s.cluster_reconnects;
  log_progress("cluster: " + std::to_string(n) + " resumes on the owner, then " + std::to_string(n) + " through the other node");
  const auto resumes_local = run_reconnects(local, pair.a.relay.route.relay_port, n, std::chrono::seconds(60 + n / 5));
  const auto resumes_forwarded = run_reconnects(local, pair.b.relay.route.relay_port, n, std::chrono::seconds(60 + n / 5));
  for (auto [direction, member] : {std::pair{"up", &Set::up}, std::pair{"down", &Set::down}}) {
    const auto f = median(runs_forwarded, member);
    const auto l = median(runs_local, member);
    results["sshrelayd"]["cluster"][std::string("bulk_") + direction] = {{"forwarded", to_json(f)}, {"local", to_json(l)}};
    rows.push_back({std::string("cluster bulk ") + direction + " MiB/s (forwarded | local)", when_ok(true, f.error, f.mib_per_s()),
                    when_ok(true, l.error, l.mib_per_s()), 0, Goal::none, 0, errors_note(f.error, l.error)});
    rows.push_back({std::string("cluster bulk ") + direction + " relay CPU s/GiB (forwarded | local)",
                    when_ok(true, f.error, f.cpu_s_per_gib()), when_ok(true, l.error, l.cpu_s_per_gib()), 2,
                    Goal::ratio_at_most, 1.5,
                    "a session opened on node A and resumed at B (forwarded: B copies bytes to A over the internal "
                    "link) or at A (local); both nodes' CPU counted; second column: local, not socat"});
  }
  const auto reconnect_json = [](const ReconnectResult& r) {
    return json{{"count", r.count}, {"p50_ms", r.p50_ms}, {"p99_ms", r.p99_ms}, {"max_ms", r.max_ms}, {"error", r.error}};
  };
  results["sshrelayd"]["cluster"]["reconnect"] = {{"forwarded", reconnect_json(resumes_forwarded)},
                                                  {"local", reconnect_json(resumes_local)}};
  for (auto [q, member] : {std::pair{"p50", &ReconnectResult::p50_ms}, std::pair{"p99", &ReconnectResult::p99_ms}}) {
    rows.push_back({std::string("cluster reconnect ") + q + " ms (cross-node | local)",
                    when_ok(true, resumes_forwarded.error, resumes_forwarded.*member),
                    when_ok(true, resumes_local.error, resumes_local.*member), 2, Goal::none, 0,
                    std::string(q) == "p50" ? "connect to RECONNECT_SUCCESS, " + std::to_string(n) +
                                                  " resumes each; cross-node: a directory lookup in Redis, then the "
                                                  "forward to the owner" + errors_note(resumes_forwarded.error, resumes_local.error)
                                            : ""});
  }
}

int run_suite(const Paths& paths, const Settings& s) {
  fs::create_directories(paths.out);
  const bool with_ours = has(s.relays, "sshrelayd");
  const bool with_socat = has(s.relays, "socat");

  // Descriptors: the relay needs two per session (client + target); we and the target one each.
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  const std::size_t fd_limit = files.rlim_cur;

  std::uint16_t target_port = 0;
  auto target = start_target(paths, target_port);
  log_progress("target on 127.0.0.1:" + std::to_string(target_port));

  json results = {{"sshrelayd", json::object()}, {"socat", json::object()}};
  std::vector<Row> rows;
  const auto bulk_limit = std::chrono::seconds(60 + s.bulk_mib / 8);
  const std::size_t max_sessions = *std::max_element(s.sessions.begin(), s.sessions.end()) + 1000;

  auto ours = [&] { return start_sshrelayd(paths, s, target_port, max_sessions); };
  auto theirs = [&] { return start_socat(paths, target_port); };

  // Is the plain WebSocket endpoint there yet? (/relay?host=&port=)
  bool plain_ws = false;
  if (with_ours) {
    auto relay = ours();
    Relay ws = relay.relay;
    ws.route.kind = Kind::ws;
    plain_ws = run_latency(ws, 1, 1, 1, 10s).error.empty();
    log_progress(std::string("plain WebSocket endpoint /relay: ") + (plain_ws ? "present" : "absent, skipped"));
  }
  results["plain_ws_endpoint"] = plain_ws;

  // --- bulk and latency: one instance each for the whole group
  if (has(s.phases, "bulk") || has(s.phases, "latency")) {
    struct Set {
      bool ran = false;
      BulkResult up, down;
      LatencyResult rtt, rtt_pinned;
    };
    // One repetition of every measurement against one relay.
    auto measure = [&](const Relay& relay, pid_t relay_pid, const std::string& label) {
      Set set;
      set.ran = true;
      const std::uint64_t bytes = s.bulk_mib << 20;
      if (has(s.phases, "bulk")) {
        log_progress(label + ": bulk up " + std::to_string(s.bulk_mib) + " MiB");
        set.up = run_bulk(relay, Direction::up, bytes, bulk_limit);
        log_progress(label + ": bulk down " + std::to_string(s.bulk_mib) + " MiB");
        set.down = run_bulk(relay, Direction::down, bytes, bulk_limit);
      }
      if (has(s.phases, "latency")) {
        log_progress(label + ": " + std::to_string(s.rtt_count) + " round trips of " + std::to_string(s.rtt_size) + " bytes");
        set.rtt = run_latency(relay, s.rtt_warmup, s.rtt_count, s.rtt_size, 120s);
        const std::vector<int> cpu{static_cast<int>(s.pin_cpu)};
        pin_self(cpu);
        pin_tree(relay_pid, cpu);
        pin_tree(target.relay.pid, cpu);
        log_progress(label + ": the same, relay, client and target pinned to CPU " + std::to_string(s.pin_cpu));
        set.rtt_pinned = run_latency(relay, s.rtt_warmup, s.rtt_count, s.rtt_size, 120s);
        pin_self({});
        pin_tree(relay_pid, {});
        pin_tree(target.relay.pid, {});
      }
      return set;
    };
    // The median repetition of each measurement (by relay CPU): the machine is shared, single runs jitter.
    auto median = [&](std::vector<Set>& runs) {
      Set m;
      if (runs.empty()) return m;
      m.ran = true;
      auto pick = [&](auto member, auto key) {
        std::vector<const Set*> order;
        for (const auto& r : runs) order.push_back(&r);
        std::sort(order.begin(), order.end(), [&](const Set* x, const Set* y) { return key(x->*member) < key(y->*member); });
        m.*member = order[order.size() / 2]->*member;
      };
      pick(&Set::up, [](const BulkResult& r) { return r.error.empty() ? r.cpu_s_per_gib() : 1e300; });
      pick(&Set::down, [](const BulkResult& r) { return r.error.empty() ? r.cpu_s_per_gib() : 1e300; });
      pick(&Set::rtt, [](const LatencyResult& r) { return r.error.empty() ? r.cpu_us_per_rt() : 1e300; });
      pick(&Set::rtt_pinned, [](const LatencyResult& r) { return r.error.empty() ? r.cpu_us_per_rt() : 1e300; });
      return m;
    };
    // Both relays stay up and the repetitions alternate between them.
    std::optional<RelayInstance> our_relay, their_relay;
    if (with_ours) our_relay.emplace(ours());
    if (with_socat) their_relay.emplace(theirs());
    std::vector<Set> runs_a, runs_b, runs_w;
    for (std::uint64_t rep = 1; rep <= s.repeat; ++rep) {
      const std::string of = s.repeat > 1 ? " [" + std::to_string(rep) + "/" + std::to_string(s.repeat) + "]" : "";
      if (our_relay) {
        runs_a.push_back(measure(our_relay->relay, our_relay->relay.pid, "sshrelayd v4" + of));
        if (plain_ws) {
          Relay ws = our_relay->relay;
          ws.route.kind = Kind::ws;
          runs_w.push_back(measure(ws, ws.pid, "sshrelayd plain ws" + of));
        }
      }
      if (their_relay) runs_b.push_back(measure(their_relay->relay, their_relay->relay.pid, "socat" + of));
    }
    our_relay.reset();
    their_relay.reset();
    Set a = median(runs_a), b = median(runs_b), w = median(runs_w);
    for (auto [name, runs] : {std::pair{"sshrelayd", &runs_a}, std::pair{"socat", &runs_b}, std::pair{"sshrelayd_ws", &runs_w}}) {
      json all = json::array();
      for (const auto& r : *runs) {
        all.push_back({{"bulk_up", to_json(r.up)}, {"bulk_down", to_json(r.down)}, {"latency", to_json(r.rtt)},
                       {"latency_pinned", to_json(r.rtt_pinned)}});
      }
      if (!runs->empty()) results[name]["repetitions"] = all;
    }
    for (auto [name, set] : {std::pair{"sshrelayd", &a}, std::pair{"socat", &b}, std::pair{"sshrelayd_ws", &w}}) {
      if (std::string(name) == "sshrelayd_ws" && !plain_ws) continue;
      results[name]["bulk_up"] = to_json(set->up);
      results[name]["bulk_down"] = to_json(set->down);
      results[name]["latency"] = to_json(set->rtt);
      results[name]["latency_pinned"] = to_json(set->rtt_pinned);
    }
    auto add_group = [&](const Set& x, const std::string& suffix, bool with_goals) {
      if (has(s.phases, "bulk")) {
        const std::string mib = std::to_string(s.bulk_mib) + " MiB";
        rows.push_back({"bulk up (" + mib + ") MiB/s" + suffix, when_ok(x.ran, x.up.error, x.up.mib_per_s()),
                        when_ok(b.ran, b.up.error, b.up.mib_per_s()), 0, Goal::none, 0, errors_note(x.up.error, b.up.error)});
        rows.push_back({"bulk up relay CPU s/GiB" + suffix, when_ok(x.ran, x.up.error, x.up.cpu_s_per_gib()),
                        when_ok(b.ran, b.up.error, b.up.cpu_s_per_gib()), 2, with_goals ? Goal::ratio_at_most : Goal::none, 1.0});
        rows.push_back({"bulk down (" + mib + ") MiB/s" + suffix, when_ok(x.ran, x.down.error, x.down.mib_per_s()),
                        when_ok(b.ran, b.down.error, b.down.mib_per_s()), 0, Goal::none, 0,
                        errors_note(x.down.error, b.down.error)});
        rows.push_back({"bulk down relay CPU s/GiB" + suffix, when_ok(x.ran, x.down.error, x.down.cpu_s_per_gib()),
                        when_ok(b.ran, b.down.error, b.down.cpu_s_per_gib()), 2, with_goals ? Goal::ratio_at_most : Goal::none,
                        0.9});
      }
      if (has(s.phases, "latency")) {
        for (auto [tag, ox, ob] : {std::tuple{"", &x.rtt, &b.rtt}, std::tuple{" pinned", &x.rtt_pinned, &b.rtt_pinned}}) {
          const std::string n = std::to_string(s.rtt_size) + " B";
          rows.push_back({std::string("RTT ") + n + tag + " p50 us" + suffix, when_ok(x.ran, ox->error, ox->p50_us),
                          when_ok(b.ran, ob->error, ob->p50_us), 1, Goal::none, 0, errors_note(ox->error, ob->error)});
          rows.push_back({std::string("RTT ") + n + tag + " p99 us" + suffix, when_ok(x.ran, ox->error, ox->p99_us),
                          when_ok(b.ran, ob->error, ob->p99_us), 1});
          rows.push_back({std::string("RTT") + tag + " relay CPU us/round trip" + suffix,
                          when_ok(x.ran, ox->error, ox->cpu_us_per_rt()), when_ok(b.ran, ob->error, ob->cpu_us_per_rt()), 1,
                          with_goals ? Goal::ratio_at_most : Goal::none, 1.0});
        }
      }
    };
    add_group(a, "", true);
    if (plain_ws) add_group(w, " [plain ws]", false);
  }

  // --- idle sessions: a fresh instance for each count
  if (has(s.phases, "sessions")) {
    for (std::size_t requested : s.sessions) {
      std::size_t k = requested;
      std::string note;
      const std::size_t relay_fds_needed = 2 * requested + 64;
      if (with_ours && fd_limit < relay_fds_needed) {
        k = (fd_limit - 64) / 2;
        note = "open-file hard limit " + std::to_string(fd_limit) + " < " + std::to_string(relay_fds_needed) +
               " descriptors sshrelayd needs for " + std::to_string(requested) + " sessions (client + target socket each): ran " +
               std::to_string(k) + " against both relays";
      }
      SessionsResult x, y;
      const auto limit = std::chrono::seconds(60 + k / 50);
      if (with_ours) {
        auto relay = ours();
        log_progress("sshrelayd v4: " + std::to_string(k) + " idle sessions");
        x = run_sessions(relay.relay, k, s.setup_window, std::chrono::milliseconds(s.idle_hold_ms), limit);
      }
      if (with_socat) {
        auto relay = theirs();
        log_progress("socat: " + std::to_string(k) + " idle connections");
        y = run_sessions(relay.relay, k, s.setup_window, std::chrono::milliseconds(s.idle_hold_ms), limit);
      }
      const std::string key = "sessions_" + std::to_string(requested);
      results["sshrelayd"][key] = to_json(x, false);
      results["socat"][key] = to_json(y, true);
      const std::string label = std::to_string(k) + " idle sessions";
      const std::string err = errors_note(x.error, y.error);
      auto value = [](bool ran, double v) { return ran ? std::optional<double>(v) : std::nullopt; };
      auto failed = [&](const SessionsResult& r) {  // never set up, or dead after the idle hold
        return static_cast<double>(r.requested - r.established + r.probe_failures);
      };
      rows.push_back({label + ": setup per s", value(with_ours, x.rate()), value(with_socat, y.rate()), 0,
                      Goal::value_at_least, 10000, note.empty() ? err : note + (err.empty() ? "" : "; " + err)});
      rows.push_back({label + ": relay CPU us per setup", value(with_ours && !x.stalled, x.cpu_us_per_setup()),
                      value(with_socat && !y.stalled, y.cpu_us_per_setup()), 1});
      rows.push_back({label + ": load-client CPU us per setup", value(with_ours && !x.stalled, x.client_cpu_us_per_setup()),
                      value(with_socat && !y.stalled, y.client_cpu_us_per_setup()), 1, Goal::none, 0,
                      "the client shares the machine's CPUs with the relay and the target: it bounds the setup rate"});
      rows.push_back({label + ": relay KiB per session", value(with_ours, x.kib_per_session(false)),
                      value(with_socat, y.kib_per_session(true)), 1, Goal::value_at_most, 12,
                      "sshrelayd: VmRSS delta / sessions; socat: Pss delta over parent + children / connections"});
      rows.push_back({label + ": /healthz p99 ms during setup", value(with_ours && x.health_checks > 0, x.health_p99_ms),
                      std::nullopt, 1, Goal::value_at_most, 100,
                      "a fresh connection every 20 ms; " + std::to_string(x.health_checks) + " checks, " +
                          std::to_string(x.health_failures) + " failed, max " +
                          std::to_string(static_cast<int>(x.health_max_ms)) + " ms"});
      Row failures{label + ": failed (setup or after idle)", value(with_ours, failed(x)), value(with_socat, failed(y)), 0,
                   Goal::value_at_most, 0};
      if (requested != k) failures.met_override = false;  // the requested count was not run: not shown here
      rows.push_back(failures);
    }
  }

  // --- slow reader: a fresh instance
  if (has(s.phases, "slow")) {
    SlowResult x, y;
    const auto paced = std::chrono::seconds(s.slow_seconds);
    const auto limit = paced + std::chrono::seconds(120);
    const std::uint64_t bytes = s.slow_mib << 20;
    const std::uint64_t rate = s.slow_rate_kib << 10;
    if (with_ours) {
      auto relay = ours();
      log_progress("sshrelayd v4: slow reader (" + std::to_string(s.slow_rate_kib) + " KiB/s for " +
                   std::to_string(s.slow_seconds) + " s, then drain) while the target pushes " + std::to_string(s.slow_mib) + " MiB");
      x = run_slow_reader(relay.relay, bytes, rate, paced, limit);
    }
    if (with_socat) {
      auto relay = theirs();
      log_progress("socat: slow reader");
      y = run_slow_reader(relay.relay, bytes, rate, paced, limit);
    }
    results["sshrelayd"]["slow_reader"] = to_json(x, false);
    results["socat"]["slow_reader"] = to_json(y, true);
    Row survived{"slow reader: session survived, bytes intact", std::nullopt, std::nullopt, 0, Goal::is_true};
    survived.ours_text = with_ours ? (x.survived() ? "yes" : "NO") : "n/a";
    survived.theirs_text = with_socat ? (y.survived() ? "yes" : "NO") : "n/a";
    if (with_ours) survived.met_override = x.survived();
    survived.note = errors_note(x.error, y.error);
    rows.push_back(survived);
    const double budget_mib = static_cast<double>(s.replay_buffer) / (1 << 20);
    const double ours_growth = (static_cast<double>(x.rss_peak_kib) - static_cast<double>(x.before.rss_kib)) / 1024;
    const double socat_growth = (static_cast<double>(y.pss_peak_kib) - static_cast<double>(y.before.pss_kib)) / 1024;
    Row growth{"slow reader: relay memory growth MiB", with_ours ? std::optional(ours_growth) : std::nullopt,
               with_socat ? std::optional(socat_growth) : std::nullopt, 1, Goal::value_at_most, budget_mib + 1};
    growth.note = "peak during the transfer; bound: --max-replay-buffer " + fmt(budget_mib, 0) +
                  " MiB + 1 MiB of buffers";
    if (x.replay_peak_bytes) {
      growth.note += "; /statz replay_bytes_peak " + fmt(static_cast<double>(*x.replay_peak_bytes) / (1 << 20), 2) + " MiB";
    }
    rows.push_back(growth);
  }

  // --- rendezvous: one pair of legs through sshrelayd against socat chained to socat (the same two hops),
  // then idle pairs on a fresh relay. The load client is both parties (tests/bench/rendezvous_pair.hpp).
  if (has(s.phases, "rendezvous")) {
    struct PairSet {
      bool ran = false;
      BulkResult bulk;
      LatencyResult rtt, rtt_pinned;
    };
    const std::size_t pairs_requested = s.rendezvous_pairs;
    const auto pin_relay = [&](const Relay& relay, const std::vector<int>& cpus) {
      pin_self(cpus);
      pin_tree(relay.pid, cpus);
      if (relay.chained_pid > 0) pin_tree(relay.chained_pid, cpus);
      pin_tree(target.relay.pid, cpus);
    };
    // One repetition: the near party sends BENCH_BULK_MIB to the far one, then 64 B echo round trips.
    auto measure = [&](const Relay& relay, const std::string& label) {
      PairSet set;
      set.ran = true;
      log_progress(label + ": " + std::to_string(s.bulk_mib) + " MiB from one party to the other");
      set.bulk = run_bulk(relay, Direction::up, s.bulk_mib << 20, bulk_limit);
      log_progress(label + ": " + std::to_string(s.rtt_count) + " round trips of " + std::to_string(s.rtt_size) + " bytes");
      set.rtt = run_latency(relay, s.rtt_warmup, s.rtt_count, s.rtt_size, 120s);
      pin_relay(relay, {static_cast<int>(s.pin_cpu)});
      log_progress(label + ": the same, relay, client and target pinned to CPU " + std::to_string(s.pin_cpu));
      set.rtt_pinned = run_latency(relay, s.rtt_warmup, s.rtt_count, s.rtt_size, 120s);
      pin_relay(relay, {});
      return set;
    };
    // The median repetition of each measurement by relay CPU, as for the single-session rows.
    auto median = [](const std::vector<PairSet>& runs) {
      PairSet m;
      if (runs.empty()) return m;
      m.ran = true;
      auto pick = [&](auto member, auto cost) {
        std::vector<const PairSet*> order;
        for (const auto& r : runs) order.push_back(&r);
        std::sort(order.begin(), order.end(), [&](const PairSet* x, const PairSet* y) { return cost(x->*member) < cost(y->*member); });
        m.*member = order[order.size() / 2]->*member;
      };
      pick(&PairSet::bulk, [](const BulkResult& r) { return r.error.empty() ? r.cpu_s_per_gib() : 1e300; });
      pick(&PairSet::rtt, [](const LatencyResult& r) { return r.error.empty() ? r.cpu_us_per_rt() : 1e300; });
      pick(&PairSet::rtt_pinned, [](const LatencyResult& r) { return r.error.empty() ? r.cpu_us_per_rt() : 1e300; });
      return m;
    };
    std::vector<PairSet> runs_a, runs_b;
    {
      std::optional<RelayInstance> our_relay;
      std::optional<SocatChain> chain;
      if (with_ours) {
        our_relay.emplace(start_sshrelayd(paths, s, target_port, 1000, rendezvous_flags(3 * s.repeat)));
        our_relay->relay.route.kind = Kind::rendezvous;
      }
      if (with_socat) chain.emplace(start_socat_chain(paths, target_port));
      for (std::uint64_t rep = 1; rep <= s.repeat; ++rep) {
        const std::string of = s.repeat > 1 ? " [" + std::to_string(rep) + "/" + std::to_string(s.repeat) + "]" : "";
        if (our_relay) runs_a.push_back(measure(our_relay->relay, "sshrelayd rendezvous pair" + of));
        if (chain) runs_b.push_back(measure(chain->relay, "socat -> socat" + of));
      }
    }
    const PairSet a = median(runs_a), b = median(runs_b);

    // Idle pairs: a fresh relay; each pair holds two legs there (two descriptors, two relay sessions).
    std::size_t k = pairs_requested;
    std::string fd_note;
    if (with_ours && fd_limit < 2 * pairs_requested + 64) {
      k = (fd_limit - 64) / 2;
      fd_note = "open-file hard limit " + std::to_string(fd_limit) + " < " + std::to_string(2 * pairs_requested + 64) +
                " descriptors for " + std::to_string(pairs_requested) + " pairs (two legs each): ran " + std::to_string(k);
    }
    SessionsResult idle;
    if (with_ours) {
      auto relay = start_sshrelayd(paths, s, target_port, 2 * k + 1000, rendezvous_flags(k + 1));
      relay.relay.route.kind = Kind::rendezvous;
      log_progress("sshrelayd: " + std::to_string(k) + " idle rendezvous pairs");
      idle = run_sessions(relay.relay, k, s.setup_window, std::chrono::milliseconds(s.idle_hold_ms),
                          std::chrono::seconds(60 + k / 25));
    }

    for (auto [name, runs, set] : {std::tuple{"sshrelayd", &runs_a, &a}, std::tuple{"socat", &runs_b, &b}}) {
      if (runs->empty()) continue;
      json all = json::array();
      for (const auto& r : *runs) {
        all.push_back({{"bulk", to_json(r.bulk)}, {"latency", to_json(r.rtt)}, {"latency_pinned", to_json(r.rtt_pinned)}});
      }
      results[name]["rendezvous"] = {{"bulk", to_json(set->bulk)},
                                     {"latency", to_json(set->rtt)},
                                     {"latency_pinned", to_json(set->rtt_pinned)},
                                     {"repetitions", all}};
    }
    if (with_socat) results["socat"]["rendezvous"]["relays"] = "two socats chained: client -> socat -> socat -> target";
    if (with_ours) results["sshrelayd"]["rendezvous"]["pairs_" + std::to_string(pairs_requested)] = to_json(idle, false);

    const std::string mib = std::to_string(s.bulk_mib) + " MiB";
    const std::string n = std::to_string(s.rtt_size) + " B";
    rows.push_back({"rendezvous bulk (" + mib + ") MiB/s", when_ok(a.ran, a.bulk.error, a.bulk.mib_per_s()),
                    when_ok(b.ran, b.bulk.error, b.bulk.mib_per_s()), 0, Goal::none, 0, errors_note(a.bulk.error, b.bulk.error)});
    rows.push_back({"rendezvous bulk relay CPU s/GiB", when_ok(a.ran, a.bulk.error, a.bulk.cpu_s_per_gib()),
                    when_ok(b.ran, b.bulk.error, b.bulk.cpu_s_per_gib()), 2, Goal::ratio_at_most, 1.3,
                    "one party sends, the other ACKs; socat column: two socats chained (client -> socat -> socat -> "
                    "target), their CPU summed"});
    for (auto [tag, x, y] : {std::tuple{"", &a.rtt, &b.rtt}, std::tuple{" pinned", &a.rtt_pinned, &b.rtt_pinned}}) {
      rows.push_back({std::string("rendezvous RTT ") + n + tag + " p50 us", when_ok(a.ran, x->error, x->p50_us),
                      when_ok(b.ran, y->error, y->p50_us), 1, Goal::none, 0, errors_note(x->error, y->error)});
      rows.push_back({std::string("rendezvous RTT") + tag + " relay CPU us/round trip", when_ok(a.ran, x->error, x->cpu_us_per_rt()),
                      when_ok(b.ran, y->error, y->cpu_us_per_rt()), 1, Goal::ratio_at_most, 1.3});
    }
    const std::string label = "rendezvous " + std::to_string(k) + " idle pairs";
    const auto ours_only = [&](double v) { return with_ours ? std::optional<double>(v) : std::nullopt; };
    std::string idle_note = fd_note;
    if (!idle.error.empty()) idle_note += (idle_note.empty() ? "" : "; ") + errors_note(idle.error, "");
    rows.push_back({label + ": setup per s", ours_only(idle.rate()), std::nullopt, 0, Goal::none, 0, idle_note});
    rows.push_back({label + ": relay KiB/pair", ours_only(idle.kib_per_session(false)), std::nullopt, 1, Goal::value_at_most,
                    16, "VmRSS delta / pairs, each pair two legs, both connected, nothing flowing"});
    Row failed{label + ": failed", ours_only(static_cast<double>(idle.requested - idle.established + idle.probe_failures)),
               std::nullopt, 0, Goal::value_at_most, 0};
    if (pairs_requested != k) failed.met_override = false;  // the requested count was not run
    rows.push_back(failed);
  }

  // --- cluster: two nodes sharing a redis-server (docs/cluster.md). A session opened on node A is resumed
  // at B (a forwarded session: bytes cross B, then A) or at A itself (local), then the same bulk runs;
  // both nodes' CPU counts either way. Then the cost of a resume, cross-node against local.
  if (has(s.phases, "cluster") && with_ours) {
    run_cluster_phase(paths, s, target_port, bulk_limit, results, rows);
  }

  const std::string table = render_table(rows);
  std::cout << "\n" << table << std::flush;
  json doc = {{"machine", machine_facts()},
              {"settings", s.to_json()},
              {"revision", env_str("BENCH_REVISION", "")},
              {"open_file_limit", fd_limit},
              {"results", results},
              {"table", rows_json(rows)}};
  std::ofstream(paths.out + "/results.json") << doc.dump(2) << "\n";
  std::ofstream(paths.out + "/results.txt") << table;
  log_progress("wrote " + paths.out + "/results.json and results.txt");
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// One phase against relays started by hand

int run_one(const std::string& name, const std::map<std::string, std::string>& opt) {
  auto get = [&](const std::string& key, const std::string& fallback = "") {
    auto it = opt.find(key);
    if (it != opt.end()) return it->second;
    if (fallback.empty()) throw std::runtime_error("missing --" + key);
    return fallback;
  };
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  const std::string kind_text = get("kind", "v4");
  Relay relay;
  relay.route.kind = kind_text == "tcp"          ? Kind::tcp
                     : kind_text == "ws"         ? Kind::ws
                     : kind_text == "rendezvous" ? Kind::rendezvous
                                                 : Kind::v4;
  relay.route.relay_port = static_cast<std::uint16_t>(std::stoul(get("relay-port")));
  relay.route.target_port = static_cast<std::uint16_t>(std::stoul(get("target-port", "1")));
  relay.pid = static_cast<pid_t>(std::stol(get("relay-pid")));
  relay.chained_pid = static_cast<pid_t>(std::stol(get("chained-pid", "-1")));
  relay.statz_port = relay.route.kind == Kind::tcp ? 0 : relay.route.relay_port;
  const std::uint64_t n = std::stoull(get("n", "0"));
  json out;
  if (name == "bulk-up" || name == "bulk-down") {
    out = to_json(run_bulk(relay, name == "bulk-up" ? Direction::up : Direction::down, (n ? n : 1024) << 20, 600s));
  } else if (name == "latency") {
    out = to_json(run_latency(relay, 1000, n ? n : 10000, 64, 300s));
  } else if (name == "sessions") {
    out = to_json(run_sessions(relay, n ? n : 1000, std::stoul(get("window", "100")), 1000ms, 600s),
                  relay.route.kind == Kind::tcp);
  } else if (name == "slow") {
    out = to_json(run_slow_reader(relay, (n ? n : 256) << 20, 1 << 20, std::chrono::seconds(std::stoul(get("seconds", "20"))), 600s),
                  relay.route.kind == Kind::tcp);
  } else {
    throw std::runtime_error("unknown phase " + name);
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: sshrelay_bench suite --sshrelayd PATH --target PATH --out DIR [--socat PATH]\n"
               "       sshrelay_bench phase bulk-up|bulk-down|latency|sessions|slow --kind v4|ws|tcp|rendezvous\n"
               "                     --relay-port P --target-port T --relay-pid PID [--chained-pid PID2] [--n N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  std::map<std::string, std::string> opt;
  std::string phase;
  int i = 2;
  if (command == "phase") {
    if (argc < 3) return usage();
    phase = argv[2];
    i = 3;
  }
  for (; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) return usage();
    opt[key.substr(2)] = argv[i + 1];
  }
  if (i != argc) return usage();
  kill_children_on_signals();
  try {
    if (command == "phase") return run_one(phase, opt);
    if (command != "suite") return usage();
    Paths paths;
    paths.sshrelayd = opt["sshrelayd"];
    paths.target = opt["target"];
    paths.out = opt["out"];
    if (opt.count("socat")) paths.socat = opt["socat"];
    if (paths.sshrelayd.empty() || paths.target.empty() || paths.out.empty()) return usage();
    return run_suite(paths, Settings{});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sshrelay_bench: %s\n", e.what());
    return 1;
  }
}
