#pragma once
// One io_context per I/O thread. A connection, its relay session and its target socket all live on one
// context, so their handlers never hop between threads: with one context shared by N threads every hop
// cost a futex wake and an epoll_ctl, and spread a session's allocations over two malloc arenas (the
// slow reader's memory doubled). New connections are dealt out round-robin. A reconnect may arrive on
// another context; the session's strand still serialises everything it does.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace sshrelay::daemon {

class IoContextPool {
 public:
  explicit IoContextPool(unsigned size);
  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  // Context 0: signals, timers, the identity provider's JWKS fetches. It also takes connections.
  boost::asio::io_context& main() { return *contexts_.front(); }
  // A context with a thread of its own that only accepts connections (and answers health checks that
  // arrive with them): a burst of session setups queued on the I/O threads never delays either.
  boost::asio::io_context& front_door() { return *front_door_; }
  // The context for the next accepted connection. Any thread.
  boost::asio::io_context& next();
  std::size_t size() const { return contexts_.size(); }

  // Runs every context, context 0 on the calling thread and the others on their own threads; returns
  // once stop() was called and every thread has finished.
  void run();
  // Any thread.
  void stop();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::unique_ptr<boost::asio::io_context> front_door_;
  std::vector<WorkGuard> guards_;  // contexts without work yet keep running until stop(); destroyed first
  std::atomic<std::size_t> next_{0};
};

}  // namespace sshrelay::daemon
