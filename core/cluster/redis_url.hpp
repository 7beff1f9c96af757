#pragma once
// --cluster-redis URL: where the session directory lives. The forms redis-cli and every Redis client
// accept: redis://[[user]:password@]host[:port][/db] and rediss:// (TLS). Valkey takes the same.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay::cluster {

struct RedisUrl {
  bool tls = false;        // rediss://
  std::string host;        // a name, an IPv4 literal or an IPv6 literal without brackets
  std::uint16_t port = 6379;
  std::string user;        // ACL user (Redis 6+); empty: AUTH with the password alone
  std::string password;    // empty: no AUTH
  unsigned database = 0;   // SELECT this one after connecting

  // The URL without its password, for logs and /statz.
  std::string redacted() const;
};

// Refuses anything else with a message naming the part that is wrong. Percent-escapes in the user and
// password are decoded (a password may hold '@' or ':').
Result<RedisUrl> parse_redis_url(std::string_view text);

}  // namespace sshrelay::cluster
