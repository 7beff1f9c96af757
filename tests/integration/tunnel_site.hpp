#pragma once
// Python's HTTP server with the pages services/tunnel_site.py lists, on a free 127.0.0.1 port: the web
// service the tunnel tests share through the relay.
#include <cstdint>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {

class TunnelSite {
 public:
  // Waits (at most 60 s) until it listens; throws std::runtime_error with its output if it does not.
  explicit TunnelSite(const testing::TempDir& dir);
  std::uint16_t port() const { return port_; }

 private:
  std::string port_file_;
  testing::Process process_;
  std::uint16_t port_ = 0;
};

}  // namespace sshrelay::itest
