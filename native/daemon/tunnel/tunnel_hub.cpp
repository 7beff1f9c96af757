#include "native/daemon/tunnel/tunnel_hub.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>

#include "core/tunnel/tunnel_host.hpp"

namespace sshrelay::daemon {

TunnelHub::TunnelHub(RelayContext& ctx)
    : ctx_(ctx), subdomain_key_(ctx.config.tunnel_subdomain_key), registry_(ctx.config.tunnel_limits) {
  if (subdomain_key_.empty()) {
    subdomain_key_.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(subdomain_key_.data()), static_cast<int>(subdomain_key_.size())) != 1) {
      subdomain_key_.clear();  // stable subdomains are then refused (add says why)
    }
  }
}

Result<tunnel::Registered> TunnelHub::add(const std::shared_ptr<TunnelSession>& session, const std::string* stable_for) {
  // A repeated random subdomain (64 bits) is all but impossible; the registry refuses one, and the
  // client, told so, registers again.
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> bytes{};
  if (stable_for != nullptr) {
    if (subdomain_key_.empty()) return local_error("the relay has no key for stable subdomains");
    // Labelled, so the key could serve another purpose without the two outputs ever meeting.
    const std::string message = "sshrelay tunnel subdomain\n" + *stable_for;
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), subdomain_key_.data(), static_cast<int>(subdomain_key_.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), bytes.data(), &length) == nullptr) {
      return local_error("the relay could not derive the stable subdomain");
    }
  } else if (RAND_bytes(bytes.data(), tunnel::kRandomBytesPerSubdomain) != 1) {
    return local_error("the relay has no randomness");
  }
  std::lock_guard lock(mutex_);
  auto added = registry_.add(std::span(bytes.data(), tunnel::kRandomBytesPerSubdomain));
  if (!added && stable_for != nullptr && registry_.size() < ctx_.config.tunnel_limits.max_tunnels) {
    return local_error("the stable subdomain of " + *stable_for + " is held by another of its tunnels; stop that one first");
  }
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
