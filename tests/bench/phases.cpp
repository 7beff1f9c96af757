#include "tests/bench/phases.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <exception>
#include <memory>
#include <stdexcept>
#include <signal.h>
#include <unistd.h>

#include "tests/bench/pattern.hpp"

namespace bench {
namespace {

using net::awaitable;
using net::use_awaitable;
using namespace net::experimental::awaitable_operators;

// Runs one phase's coroutine on a fresh io_context on this thread, bounded by `limit`. Whatever is
// still pending at the limit is destroyed with the context. Returns the error text, empty on success.
template <class MakeCoroutine>
std::string run_io(MakeCoroutine make, std::chrono::seconds limit) {
  net::io_context ioc(1);
  bool done = false;
  std::string error;
  net::co_spawn(ioc, make(), [&](std::exception_ptr e) {
    done = true;
    if (e) error = describe(e);
  });
  ioc.run_for(limit);
  if (!done) error = "timed out after " + std::to_string(limit.count()) + " s";
  return error;
}

// Runs `n` copies of worker() concurrently and waits for all. Workers handle their own errors.
template <class Worker>
awaitable<void> run_workers(std::size_t n, Worker& worker) {
  auto executor = co_await net::this_coro::executor;
  auto active = std::make_shared<std::size_t>(n);
  auto all_done = std::make_shared<net::steady_timer>(executor, Clock::time_point::max());
  for (std::size_t i = 0; i < n; ++i) {
    net::co_spawn(executor, worker(), [active, all_done](std::exception_ptr) {
      if (--*active == 0) all_done->cancel();
    });
  }
  if (n == 0) co_return;
  boost::system::error_code ec;
  co_await all_done->async_wait(net::redirect_error(use_awaitable, ec));
}

awaitable<void> sleep_until(Clock::time_point when) {
  net::steady_timer timer(co_await net::this_coro::executor, when);
  co_await timer.async_wait(use_awaitable);
}

std::array<std::uint8_t, 9> mode_header(char mode, std::uint64_t n) {
  std::array<std::uint8_t, 9> h{static_cast<std::uint8_t>(mode)};
  for (int i = 0; i < 8; ++i) h[1 + i] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
  return h;
}

// 64 KiB of the pattern (more than one pattern_block(), which holds 64,256 bytes: made, not copied).
const std::vector<std::uint8_t>& upload_chunk() {
  static const std::vector<std::uint8_t> chunk = [] {
    std::vector<std::uint8_t> c(64 * 1024);
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<std::uint8_t>(i % kPatternPeriod);
    return c;
  }();
  return chunk;
}

constexpr auto kSetupStall = std::chrono::seconds(10);
constexpr auto kHealthInterval = std::chrono::milliseconds(20);
constexpr auto kHealthLimit = std::chrono::seconds(5);

// One health check as a load balancer makes it: a new connection, GET /healthz, the whole answer read.
// Returns the time it took, or nullopt if it failed or took longer than kHealthLimit.
awaitable<std::optional<double>> check_health(std::uint16_t port) {
  auto executor = co_await net::this_coro::executor;
  const auto start = Clock::now();
  net::ip::tcp::socket socket(executor);
  net::steady_timer limit(executor, start + kHealthLimit);
  bool timed_out = false;
  limit.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  try {
    co_await socket.async_connect({net::ip::make_address("127.0.0.1"), port}, use_awaitable);
    namespace http = boost::beast::http;
    http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(false);
    co_await http::async_write(socket, req, use_awaitable);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    co_await http::async_read(socket, buffer, res, use_awaitable);
    limit.cancel();
    if (res.result() != http::status::ok || timed_out) co_return std::nullopt;
  } catch (const std::exception&) {
    limit.cancel();
    co_return std::nullopt;
  }
  co_return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// One session opened, used and closed before a memory baseline: the relay's one-time costs (its first
// session initialises the RNG, touches thread stacks, grows the heap) are not charged to what is measured.
std::string warm_up(const Relay& relay) {
  return run_io(
      [&]() -> awaitable<void> {
        const std::uint8_t echo = 'E';
        const std::uint8_t probe = 'w';
        auto conn = co_await open_session(relay.route, std::span(&echo, 1));
        co_await conn->send(std::span(&probe, 1));
        co_await recv_exact(*conn, 1);
        co_await conn->close();
        co_await sleep_until(Clock::now() + std::chrono::milliseconds(200));
      },
      std::chrono::seconds(20));
}

}  // namespace

CpuSample cpu_of_relay(const Relay& relay) {
  CpuSample s = cpu_of_tree(relay.pid);
  if (relay.chained_pid > 0) {
    const auto chained = cpu_of_tree(relay.chained_pid);
    s.run_ns += chained.run_ns;
    s.user_ticks += chained.user_ticks;
    s.sys_ticks += chained.sys_ticks;
  }
  return s;
}

BulkResult run_bulk(const Relay& relay, Direction direction, std::uint64_t bytes, std::chrono::seconds limit) {
  BulkResult r;
  r.bytes = bytes;
  r.error = run_io(
      [&]() -> awaitable<void> {
        const auto header = mode_header(direction == Direction::up ? 'S' : 'G', bytes);
        auto conn = co_await open_session(relay.route, header);
        if (direction == Direction::up) {
          conn->set_auto_ack(false);  // the writer owns the socket's write side
          auto writer = [&]() -> awaitable<void> {
            const auto& chunk = upload_chunk();
            for (std::uint64_t left = bytes; left > 0;) {
              const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
              co_await conn->send(std::span(chunk.data(), n));
              left -= n;
            }
          };
          auto reader = [&]() -> awaitable<void> {  // ACKs are consumed inside recv(); 'K' ends it
            auto done = co_await conn->recv();
            if (done.size() != 1 || done[0] != 'K') throw std::runtime_error("the sink did not confirm");
          };
          const auto cpu0 = cpu_of_relay(relay);
          const auto t0 = Clock::now();
          if (relay_acks(relay.route.kind)) {
            co_await (writer() && reader());
          } else {
            co_await writer();
            co_await reader();
          }
          r.seconds = seconds_between(t0, Clock::now());
          r.cpu = cpu_of_relay(relay) - cpu0;
        } else {
          const std::uint8_t go = 'g';
          const auto cpu0 = cpu_of_relay(relay);
          const auto t0 = Clock::now();
          co_await conn->send(std::span(&go, 1));
          for (std::uint64_t got = 0; got < bytes;) {
            auto chunk = co_await conn->recv();
            if (chunk.empty()) throw std::runtime_error("the stream ended after " + std::to_string(got) + " bytes");
            got += chunk.size();
          }
          r.seconds = seconds_between(t0, Clock::now());
          r.cpu = cpu_of_relay(relay) - cpu0;
        }
        co_await conn->close();
      },
      limit);
  return r;
}

// The q-quantile of sorted, non-empty samples (nearest rank).
static double quantile_of_sorted(const std::vector<double>& samples, double q) {
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size()))) - 1;
  return samples[std::min(i, samples.size() - 1)];
}

LatencyResult run_latency(const Relay& relay, std::size_t warmup, std::size_t count, std::size_t size,
                          std::chrono::seconds limit) {
  LatencyResult r;
  std::vector<double> samples;
  samples.reserve(count);
  r.error = run_io(
      [&]() -> awaitable<void> {
        const std::uint8_t echo = 'E';
        auto conn = co_await open_session(relay.route, std::span(&echo, 1));
        const std::vector<std::uint8_t> payload(pattern_block().begin(), pattern_block().begin() + static_cast<long>(size));
        for (std::size_t i = 0; i < warmup; ++i) {
          co_await conn->send(payload);
          co_await recv_exact(*conn, size);
        }
        const auto cpu0 = cpu_of_relay(relay);
        for (std::size_t i = 0; i < count; ++i) {
          const auto t0 = Clock::now();
          co_await conn->send(payload);
          co_await recv_exact(*conn, size);
          samples.push_back(std::chrono::duration<double, std::micro>(conn->last_arrival - t0).count());
        }
        r.cpu = cpu_of_relay(relay) - cpu0;
        co_await conn->close();
      },
      limit);
  r.count = samples.size();
  if (!samples.empty()) {
    std::sort(samples.begin(), samples.end());
    r.p50_us = quantile_of_sorted(samples, 0.50);
    r.p99_us = quantile_of_sorted(samples, 0.99);
    r.max_us = samples.back();
    double sum = 0;
    for (double s : samples) sum += s;
    r.mean_us = sum / static_cast<double>(samples.size());
  }
  return r;
}

ReconnectResult run_reconnects(const Relay& relay, std::uint16_t resume_port, std::size_t count, std::chrono::seconds limit) {
  ReconnectResult r;
  std::vector<double> samples;
  r.error = run_io(
      [&]() -> awaitable<void> {
        const std::uint8_t echo = 'E';
        Route first = relay.route;
        first.resume_port = 0;
        auto conn = co_await open_session(first, std::span(&echo, 1));
        const std::vector<std::uint8_t> payload(pattern_block().begin(), pattern_block().begin() + 64);
        for (std::size_t i = 0; i < count; ++i) {
          samples.push_back(co_await conn->resume_at(resume_port));
          co_await conn->send(payload);
          co_await recv_exact(*conn, payload.size());
        }
        co_await conn->close();
      },
      limit);
  r.count = samples.size();
  if (!samples.empty()) {
    std::sort(samples.begin(), samples.end());
    r.p50_ms = quantile_of_sorted(samples, 0.50);
    r.p99_ms = quantile_of_sorted(samples, 0.99);
    r.max_ms = samples.back();
  }
  return r;
}

SessionsResult run_sessions(const Relay& relay, std::size_t count, std::size_t window, std::chrono::milliseconds hold,
                            std::chrono::seconds limit) {
  SessionsResult r;
  r.requested = count;
  if (auto error = warm_up(relay); !error.empty()) {
    r.error = "warm-up: " + error;
    return r;
  }
  r.before = memory_of_tree(relay.pid);
  std::string error = run_io(
      [&]() -> awaitable<void> {
        std::vector<std::unique_ptr<Conn>> conns(count);
        std::size_t next = 0;
        const auto note = [&](const char* what, const std::exception& e) {
          if (r.error.empty()) r.error = std::string(what) + ": " + e.what();
        };

        // Setup: `window` sessions in flight at a time, each complete when the target's 'R' came back.
        Clock::time_point last_done = Clock::now();  // last setup that ended, either way
        Clock::time_point last_ok{};                  // last setup that succeeded
        auto opener = [&]() -> awaitable<void> {
          const std::uint8_t echo = 'E';
          while (next < count && !r.stalled) {
            const std::size_t i = next++;
            try {
              conns[i] = co_await open_session(relay.route, std::span(&echo, 1));
              ++r.established;
              last_ok = Clock::now();
            } catch (const std::exception& e) {
              ++r.setup_failures;
              note("setup", e);
            }
            last_done = Clock::now();
          }
        };
        // A relay that stops completing setups (a session cap, a spent budget) ends the phase early: its
        // memory is read, then its process group is killed so every pending setup fails at once (an
        // io_context must not be destroyed with coroutines still waiting on it).
        bool setup_done = false;
        const auto cpu0 = cpu_of_relay(relay);
        const auto self0 = cpu_of_process(::getpid());
        const auto t0 = Clock::now();
        auto stall_watch = [&]() -> awaitable<void> {
          while (!setup_done) {
            co_await sleep_until(Clock::now() + std::chrono::milliseconds(250));
            if (!setup_done && Clock::now() - last_done > kSetupStall) {
              r.stalled = true;
              r.setup_cpu = cpu_of_relay(relay) - cpu0;  // includes the stalled seconds
              r.after = memory_of_tree(relay.pid);
              if (::kill(-relay.pid, SIGKILL) != 0) ::kill(relay.pid, SIGKILL);  // not a group leader
              co_return;
            }
          }
        };
        auto setup = [&]() -> awaitable<void> {
          co_await run_workers(std::min(window, count), opener);
          setup_done = true;
        };
        // The health checks run on a thread of their own: on the load client's busy event loop they
        // would measure the client's own queueing rather than the relay's.
        std::vector<double> health_ms;
        std::atomic<bool> health_stop{false};
        std::thread health_thread([&] {
          if (relay.statz_port == 0) return;  // socat has no health endpoint
          net::io_context health_io(1);
          net::co_spawn(
              health_io,
              [&]() -> awaitable<void> {
                while (!health_stop) {
                  const auto next_check = Clock::now() + kHealthInterval;
                  auto took = co_await check_health(relay.statz_port);
                  ++r.health_checks;
                  if (took) {
                    health_ms.push_back(*took);
                  } else {
                    ++r.health_failures;
                  }
                  co_await sleep_until(next_check);
                }
              },
              net::detached);
          health_io.run_for(limit);
        });
        struct JoinHealth {
          std::atomic<bool>& stop;
          std::thread& thread;
          ~JoinHealth() {
            stop = true;
            if (thread.joinable()) thread.join();
          }
        } join_health{health_stop, health_thread};
        co_await (setup() && stall_watch());
        health_stop = true;
        health_thread.join();
        if (!health_ms.empty()) {
          std::sort(health_ms.begin(), health_ms.end());
          const auto at = [&](double q) {
            const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(health_ms.size()))) - 1;
            return health_ms[std::min(i, health_ms.size() - 1)];
          };
          r.health_p50_ms = at(0.50);
          r.health_p99_ms = at(0.99);
          r.health_max_ms = health_ms.back();
        }
        r.setup_seconds = seconds_between(t0, last_ok);
        if (r.stalled) {
          const std::size_t abandoned = count - r.established;
          r.error = "setup stalled: no session completed for " +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kSetupStall).count()) + " s after " +
                    std::to_string(r.established) + " sessions; the relay was killed and " + std::to_string(abandoned) +
                    " setups abandoned";
          co_return;
        }
        r.setup_cpu = cpu_of_relay(relay) - cpu0;
        r.client_cpu = cpu_of_process(::getpid()) - self0;

        // Idle, then measure the relay's memory.
        co_await sleep_until(Clock::now() + hold);
        r.after = memory_of_tree(relay.pid);

        // Every session must still carry bytes both ways.
        next = 0;
        auto prober = [&]() -> awaitable<void> {
          const std::uint8_t probe = 'p';
          while (next < count) {
            const std::size_t i = next++;
            if (!conns[i]) continue;
            try {
              co_await conns[i]->send(std::span(&probe, 1));
              co_await recv_exact(*conns[i], 1);
            } catch (const std::exception& e) {
              ++r.probe_failures;
              note("probe after idle", e);
              conns[i].reset();
            }
          }
        };
        co_await run_workers(std::min(window, count), prober);

        next = 0;
        auto closer = [&]() -> awaitable<void> {
          while (next < count) {
            const std::size_t i = next++;
            if (!conns[i]) continue;
            try {
              co_await conns[i]->close();
            } catch (const std::exception&) {
            }
            conns[i].reset();
          }
        };
        co_await run_workers(std::min(window, count), closer);
      },
      limit);
  if (!error.empty() && r.error.empty()) r.error = error;
  return r;
}

SlowResult run_slow_reader(const Relay& relay, std::uint64_t bytes, std::uint64_t rate_bytes_per_s,
                           std::chrono::seconds paced_for, std::chrono::seconds limit) {
  SlowResult r;
  r.bytes_expected = bytes;
  if (auto error = warm_up(relay); !error.empty()) {
    r.error = "warm-up: " + error;
    return r;
  }
  r.before = memory_of_tree(relay.pid);
  r.rss_peak_kib = r.before.rss_kib;
  r.pss_peak_kib = r.before.pss_kib;
  struct Sampler {
    bool done = false;
    std::uint64_t rss_peak = 0, pss_peak = 0;
  };
  auto sampler = std::make_shared<Sampler>();
  r.error = run_io(
      [&]() -> awaitable<void> {
        const auto header = mode_header('G', bytes);
        auto conn = co_await open_session(relay.route, header);
        // The relay's memory, every 100 ms while the reader lags. The executor is fetched in a statement of
        // its own: with the co_await among co_spawn's arguments, GCC 12 released the lambda's copy of
        // `sampler` twice (valgrind: the Sampler freed while still in use, then a corrupt heap).
        auto executor = co_await net::this_coro::executor;
        net::co_spawn(
            executor,
            [sampler, pid = relay.pid]() -> awaitable<void> {
              while (!sampler->done) {
                const auto m = memory_of_tree(pid);
                sampler->rss_peak = std::max(sampler->rss_peak, m.rss_kib);
                sampler->pss_peak = std::max(sampler->pss_peak, m.pss_kib);
                co_await sleep_until(Clock::now() + std::chrono::milliseconds(100));
              }
            },
            net::detached);
        const std::uint8_t go = 'g';
        co_await conn->send(std::span(&go, 1));
        const auto t0 = Clock::now();
        const auto pace_end = t0 + paced_for;
        while (r.bytes_received < bytes) {
          auto chunk = co_await conn->recv();
          if (chunk.empty()) throw std::runtime_error("the session ended after " + std::to_string(r.bytes_received) + " bytes");
          if (!pattern_matches(r.bytes_received, chunk)) r.pattern_ok = false;
          r.bytes_received += chunk.size();
          const auto now = Clock::now();
          if (now < pace_end) {  // read at `rate`: sleep until these bytes are due
            const auto due = t0 + std::chrono::microseconds(r.bytes_received * 1'000'000 / rate_bytes_per_s);
            if (due > now) co_await sleep_until(std::min(due, pace_end));
          } else if (r.paced_seconds == 0) {
            r.paced_seconds = seconds_between(t0, now);
          }
        }
        r.total_seconds = seconds_between(t0, Clock::now());
        sampler->done = true;
        co_await conn->close();
      },
      limit);
  sampler->done = true;
  r.rss_peak_kib = std::max(r.rss_peak_kib, sampler->rss_peak);
  r.pss_peak_kib = std::max(r.pss_peak_kib, sampler->pss_peak);
  if (relay.statz_port) {
    const std::string body = fetch_statz(relay.statz_port);
    const auto key = body.find("\"replay_bytes_peak\":");
    if (key != std::string::npos) r.replay_peak_bytes = std::strtoull(body.c_str() + key + 20, nullptr, 10);
  }
  return r;
}

std::string fetch_statz(std::uint16_t port) {
  namespace http = boost::beast::http;
  try {
    net::io_context ioc(1);
    net::ip::tcp::socket socket(ioc);
    socket.connect(net::ip::tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port));
    http::request<http::empty_body> req{http::verb::get, "/statz", 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res.body();
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace bench
