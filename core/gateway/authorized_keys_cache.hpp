#pragma once
// The remote users' authorized_keys as the gateway last fetched them (peers.md §4.2 (f)): when a client
// offers a public key for user U, the gateway logs in to the remote host as U with its own key and runs
// `cat ~/.ssh/authorized_keys`. A successful fetch is kept per user for a while (default 60 s), so that a
// client offering several keys, or reconnecting, does not cost a remote login each time. Only successful
// fetches are stored (an empty file included: the user then has no keys); a failed fetch is not, and the
// key is refused.
//
// The time is passed in (the steady clock's, as everywhere in core/). An entry is used while younger than
// the TTL: stored at t, it is a hit up to t + TTL and a miss from t + TTL on. The number of users kept is
// bounded; storing one more drops expired entries first, then the oldest.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/time.hpp"

namespace sshrelay::gateway {

inline constexpr Duration kDefaultAuthorizedKeysTtl = std::chrono::seconds(60);
inline constexpr std::size_t kDefaultAuthorizedKeysCacheUsers = 1024;

class AuthorizedKeysCache {
 public:
  explicit AuthorizedKeysCache(Duration ttl = kDefaultAuthorizedKeysTtl,
                               std::size_t max_users = kDefaultAuthorizedKeysCacheUsers)
      : ttl_(ttl), max_users_(max_users == 0 ? 1 : max_users) {}

  // The text stored for `user`, if stored less than the TTL before `now`. An expired entry is dropped.
  std::optional<std::string> lookup(const std::string& user, TimePoint now);

  // Keeps `text` (a successful fetch) for `user` as of `now`, replacing what was kept. Nothing is kept
  // when the TTL is zero or less.
  void store(const std::string& user, std::string text, TimePoint now);

  // Drops what is kept for `user` (e.g. when the remote refused the gateway's own key).
  void forget(const std::string& user) { entries_.erase(user); }

  std::size_t size() const { return entries_.size(); }
  Duration ttl() const { return ttl_; }

 private:
  struct Entry {
    std::string text;
    TimePoint stored;
  };
  bool fresh(const Entry& entry, TimePoint now) const { return now - entry.stored < ttl_; }

  Duration ttl_;
  std::size_t max_users_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace sshrelay::gateway
