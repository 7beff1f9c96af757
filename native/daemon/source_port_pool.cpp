#include "native/daemon/source_port_pool.hpp"

namespace sshrelay::daemon {

PortLease::~PortLease() { pool_->release(port_); }

SourcePortPool::SourcePortPool(std::uint16_t first, std::uint16_t last)
    : first_(first), used_(static_cast<std::size_t>(last - first) + 1, false) {}

std::unique_ptr<PortLease> SourcePortPool::acquire() {
  std::lock_guard lock(mutex_);
  for (std::size_t tried = 0; tried < used_.size(); ++tried) {
    const std::size_t index = (next_ + tried) % used_.size();
    if (!used_[index]) {
      used_[index] = true;
      ++in_use_;
      next_ = index + 1;
      return std::make_unique<PortLease>(shared_from_this(), static_cast<std::uint16_t>(first_ + index));
    }
  }
  return nullptr;
}

std::size_t SourcePortPool::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

void SourcePortPool::release(std::uint16_t port) {
  std::lock_guard lock(mutex_);
  used_[port - first_] = false;
  --in_use_;
}

}  // namespace sshrelay::daemon
