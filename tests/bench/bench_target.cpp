// sshrelay_bench_target: the TCP target the benchmark relays to (the "sshd" of a benchmark). Listens on
// 127.0.0.1 only, single-threaded, and serves each connection by the first byte the client sends
// through the relay:
//
//   'E'            reply 'R', then echo every byte back (latency, idle sessions)
//   'S' <u64 N>    reply 'R', read and discard N bytes, then reply 'K' (upstream bulk)
//   'G' <u64 N>    reply 'R', wait for one byte, then write N pattern bytes (downstream bulk, slow reader)
//
// N is big-endian. Pattern byte at stream offset i is i % 251 (a prime: a lost, repeated or reordered
// chunk of any power-of-two size shows). A connection ends when the client closes it.
//
// Usage: sshrelay_bench_target --port-file FILE [--port N]
// Writes the bound port to FILE (atomically) once listening; exits on SIGTERM/SIGINT.
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/bench/pattern.hpp"

namespace net = boost::asio;
using net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

namespace {

std::uint64_t get_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

awaitable<void> serve(tcp::socket socket) {
  boost::system::error_code ec;
  auto tok = net::redirect_error(use_awaitable, ec);
  socket.set_option(tcp::no_delay(true), ec);
  std::vector<std::uint8_t> buffer(64 * 1024);
  std::uint8_t mode = 0;
  co_await net::async_read(socket, net::buffer(&mode, 1), tok);
  if (ec) co_return;
  const std::uint8_t ready = 'R';
  if (mode == 'E') {
    co_await net::async_write(socket, net::buffer(&ready, 1), tok);
    while (!ec) {
      const std::size_t n = co_await socket.async_read_some(net::buffer(buffer), tok);
      if (ec) break;
      co_await net::async_write(socket, net::buffer(buffer.data(), n), tok);
    }
    co_return;
  }
  std::array<std::uint8_t, 8> header{};
  co_await net::async_read(socket, net::buffer(header), tok);
  if (ec) co_return;
  std::uint64_t remaining = get_be64(header.data());
  co_await net::async_write(socket, net::buffer(&ready, 1), tok);
  if (ec) co_return;
  if (mode == 'S') {
    while (remaining > 0) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer.size()));
      const std::size_t n = co_await socket.async_read_some(net::buffer(buffer.data(), want), tok);
      if (ec) co_return;
      remaining -= n;
    }
    const std::uint8_t done = 'K';
    co_await net::async_write(socket, net::buffer(&done, 1), tok);
  } else if (mode == 'G') {
    std::uint8_t go = 0;
    co_await net::async_read(socket, net::buffer(&go, 1), tok);
    if (ec) co_return;
    const auto& block = bench::pattern_block();  // a whole number of periods: offsets stay aligned
    while (remaining > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, block.size()));
      co_await net::async_write(socket, net::buffer(block.data(), n), tok);
      if (ec) co_return;
      remaining -= n;
    }
  } else {
    co_return;
  }
  // Hold the connection until the client closes it: the relay sees a client-side close, as in SSH.
  while (!ec) co_await socket.async_read_some(net::buffer(buffer), tok);
}

awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(net::redirect_error(use_awaitable, ec));
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      std::fprintf(stderr, "sshrelay_bench_target: accept: %s\n", ec.message().c_str());
      continue;
    }
    net::co_spawn(acceptor.get_executor(), serve(std::move(socket)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string port_file;
  unsigned short port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port-file" && i + 1 < argc) {
      port_file = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      port = static_cast<unsigned short>(std::stoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: sshrelay_bench_target --port-file FILE [--port N]\n");
      return 2;
    }
  }
  try {
    net::io_context ioc(1);
    tcp::acceptor acceptor(ioc);
    const tcp::endpoint endpoint(net::ip::make_address_v4("127.0.0.1"), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    if (!port_file.empty()) {
      const std::string tmp = port_file + ".tmp";
      std::ofstream(tmp) << acceptor.local_endpoint().port() << "\n";
      std::filesystem::rename(tmp, port_file);
    } else {
      std::printf("%u\n", acceptor.local_endpoint().port());
      std::fflush(stdout);
    }
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
    net::co_spawn(ioc, accept_loop(acceptor), net::detached);
    ioc.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sshrelay_bench_target: %s\n", e.what());
    return 1;
  }
  return 0;
}
