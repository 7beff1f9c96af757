#pragma once
// Source-port pinning: each session's outbound socket is bound to a port of its own from a configured
// range, so a firewall can map (relay IP, source port) to the user (PAN User-ID). Thread-safe.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace sshrelay::daemon {

class SourcePortPool;

// Holds one port until destroyed.
class PortLease {
 public:
  PortLease(std::shared_ptr<SourcePortPool> pool, std::uint16_t port) : pool_(std::move(pool)), port_(port) {}
  ~PortLease();
  PortLease(const PortLease&) = delete;
  PortLease& operator=(const PortLease&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  std::shared_ptr<SourcePortPool> pool_;
  std::uint16_t port_;
};

class SourcePortPool : public std::enable_shared_from_this<SourcePortPool> {
 public:
  SourcePortPool(std::uint16_t first, std::uint16_t last);

  // A free port, or nothing when every port is leased (the caller refuses with 4503).
  std::unique_ptr<PortLease> acquire();
  std::size_t in_use() const;

 private:
  friend class PortLease;
  void release(std::uint16_t port);

  mutable std::mutex mutex_;
  std::uint16_t first_;
  std::vector<bool> used_;
  std::size_t next_ = 0;  // next-fit: spreads reuse so a just-closed port rests in TIME_WAIT
  std::size_t in_use_ = 0;
};

}  // namespace sshrelay::daemon
