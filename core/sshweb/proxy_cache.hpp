#pragma once
// proxy-call's memory of upstream answers (docs/sshweb.md): one per exact URL as the client wrote it,
// served until the site's `ttl` has passed since it was fetched (sshttpd parses `ttl` but always keeps
// answers 24 h; we honour it, and 24 h is the default). A 5xx is not kept: a passing outage would
// otherwise be served for a day. What is kept is bounded by a byte budget; when a new answer needs room,
// expired answers go first, then the oldest. The time is passed in.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/common/time.hpp"
#include "core/sshweb/http_envelope.hpp"

namespace sshrelay::sshweb {

inline constexpr Duration kDefaultProxyTtl = std::chrono::hours(24);

// `ttl` as a config writes it: Go's durations ("30s", "5m", "1h30m") or whole days ("1d", as sshttpd's
// example has it); empty is the default. Errors say which forms are read.
Result<Duration> parse_proxy_ttl(std::string_view text);

class ProxyResponseCache {
 public:
  ProxyResponseCache(Duration ttl, std::uint64_t budget_bytes) : ttl_(ttl), budget_bytes_(budget_bytes) {}

  // The answer kept for `url`, if it is still fresh at `now`.
  std::shared_ptr<const UpstreamResponse> find(const std::string& url, TimePoint now);
  // Keeps `response` for `url`, fetched at `now` (replacing an older one). Not kept: a 5xx, anything
  // when the ttl is zero, and an answer larger than the whole budget.
  void store(const std::string& url, std::shared_ptr<const UpstreamResponse> response, TimePoint now);

  std::size_t entries() const { return entries_.size(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct Entry {
    std::shared_ptr<const UpstreamResponse> response;
    TimePoint fetched;
    std::uint64_t bytes = 0;
  };
  void erase(std::map<std::string, Entry>::iterator it);

  Duration ttl_;
  std::uint64_t budget_bytes_;
  std::uint64_t bytes_ = 0;
  std::map<std::string, Entry> entries_;
};

}  // namespace sshrelay::sshweb
