#include "native/daemon/io_context_pool.hpp"

#include <algorithm>
#include <thread>

namespace sshrelay::daemon {

IoContextPool::IoContextPool(unsigned size) {
  for (unsigned i = 0; i < std::max(1u, size); ++i) {
    // Concurrency hint 1: each context is run by exactly one thread, so Asio can skip its locking.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  front_door_ = std::make_unique<boost::asio::io_context>(1);
  guards_.emplace_back(front_door_->get_executor());
}

boost::asio::io_context& IoContextPool::next() { return *contexts_[next_.fetch_add(1) % contexts_.size()]; }

void IoContextPool::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) threads.emplace_back([&context = *contexts_[i]] { context.run(); });
  threads.emplace_back([&context = *front_door_] { context.run(); });
  contexts_.front()->run();
  for (auto& thread : threads) thread.join();
}

void IoContextPool::stop() {
  for (auto& context : contexts_) context->stop();
  front_door_->stop();
}

}  // namespace sshrelay::daemon
