#include "native/daemon/tunnel/tunnel_hub.hpp"

#include <openssl/rand.h>

#include <array>

#include "core/tunnel/tunnel_host.hpp"

namespace sshrelay::daemon {

TunnelHub::TunnelHub(RelayContext& ctx) : ctx_(ctx), registry_(ctx.config.tunnel_limits) {}

Result<tunnel::Registered> TunnelHub::add(const std::shared_ptr<TunnelSession>& session) {
  // A repeated subdomain (64 random bits) is all but impossible; the registry refuses one, and the
  // client, told so, registers again.
  std::array<std::uint8_t, tunnel::kRandomBytesPerSubdomain> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return local_error("the relay has no randomness");
  std::lock_guard lock(mutex_);
  auto added = registry_.add(random);
  if (added) sessions_.emplace(added->key, session);
  return added;
}

void TunnelHub::remove(tunnel::TunnelKey key) {
  std::lock_guard lock(mutex_);
  registry_.remove(key);
  sessions_.erase(key);
}

std::shared_ptr<TunnelSession> TunnelHub::find(const std::string& subdomain) const {
  std::lock_guard lock(mutex_);
  const auto key = registry_.find(subdomain);
  if (!key) return nullptr;
  const auto it = sessions_.find(*key);
  return it == sessions_.end() ? nullptr : it->second.lock();
}

std::size_t TunnelHub::size() const {
  std::lock_guard lock(mutex_);
  return registry_.size();
}

std::string TunnelHub::url_for(const std::string& subdomain) const {
  if (ctx_.config.tunnel_domain.empty()) return {};
  return tunnel::tunnel_url(subdomain, ctx_.config.tunnel_domain, ctx_.config.public_port ? ctx_.config.public_port : 443);
}

bool TunnelHub::begin_http(const std::string& ip) {
  std::lock_guard lock(mutex_);
  return registry_.begin_http(ip);
}

void TunnelHub::end_http(const std::string& ip) {
  std::lock_guard lock(mutex_);
  registry_.end_http(ip);
}

bool TunnelHub::begin_tcp() {
  std::lock_guard lock(mutex_);
  return registry_.begin_tcp();
}

void TunnelHub::end_tcp() {
  std::lock_guard lock(mutex_);
  registry_.end_tcp();
}

}  // namespace sshrelay::daemon
