#pragma once
// `-v`: every few seconds at most, one line per session whose byte counts moved: bytes each way (and the
// rate since the last line), reconnects so far and the WebSocket ping round trip. Connects, drops and
// resumes (with their downtime) are the client library's own log lines, printed as they happen.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "native/cli/console.hpp"
#include "native/client/relay_connection.hpp"

namespace sshrelay::cli {

// "812 B", "1.5 KiB", "64.0 MiB", "1.20 GiB".
std::string format_bytes(std::uint64_t bytes);

// "up 64.0 MiB, down 1.2 KiB, 2 reconnects, rtt 0.4 ms" for one connection, now.
std::string connection_summary(const client::RelayConnection& connection);

class VerboseReporter : public std::enable_shared_from_this<VerboseReporter> {
 public:
  VerboseReporter(boost::asio::any_io_executor executor, Console& console, std::chrono::seconds interval);

  // Any thread.
  void watch(const std::shared_ptr<client::RelayConnection>& connection);
  void start();
  void stop();

 private:
  struct Watched {
    std::weak_ptr<client::RelayConnection> connection;
    std::uint64_t up = 0;
    std::uint64_t down = 0;
  };
  void do_wait();
  void on_tick();

  Console& console_;
  std::chrono::seconds interval_;
  boost::asio::steady_timer timer_;
  std::mutex mutex_;
  std::vector<Watched> watched_;
  bool stopped_ = false;
};

}  // namespace sshrelay::cli
