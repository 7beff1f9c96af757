#include "core/gateway/authorized_keys_cache.hpp"

#include <iterator>

namespace sshrelay::gateway {

std::optional<std::string> AuthorizedKeysCache::lookup(const std::string& user, TimePoint now) {
  const auto it = entries_.find(user);
  if (it == entries_.end()) return std::nullopt;
  if (!fresh(it->second, now)) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.text;
}

void AuthorizedKeysCache::store(const std::string& user, std::string text, TimePoint now) {
  if (ttl_ <= Duration::zero()) return;
  if (const auto it = entries_.find(user); it != entries_.end()) {
    it->second = {std::move(text), now};
    return;
  }
  if (entries_.size() >= max_users_) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = fresh(it->second, now) ? std::next(it) : entries_.erase(it);
    }
  }
  // A linear scan for the oldest: at most max_users entries, and only when the cache is full of fresh ones.
  while (entries_.size() >= max_users_) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.stored < oldest->second.stored) oldest = it;
    }
    entries_.erase(oldest);
  }
  entries_.emplace(user, Entry{std::move(text), now});
}

}  // namespace sshrelay::gateway
