#pragma once
// `proxy-call GET URL` (docs/sshweb.md): fetches an allowed origin for the client, as sshttpd's proxy
// does. Each hop is checked before any network use (core/sshweb/proxy_rules.hpp); its host is resolved
// here and, unless `allow-private-ips`, refused when any address it resolves to is private or reserved —
// then exactly the checked addresses are dialled, so a second lookup cannot lead elsewhere. Redirects
// are followed up to `max-redirects`, each hop checked again (or, with `allow-redirects false`, the 3xx
// is the answer). One deadline covers the whole call; a body over `max-size` is an error. Answers are
// kept per exact URL for the `ttl` (core/sshweb/proxy_cache.hpp). One per site, shared by its
// connections (thread-safe).
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "core/common/result.hpp"
#include "core/sshweb/http_envelope.hpp"
#include "core/sshweb/proxy_cache.hpp"
#include "core/sshweb/site_config.hpp"

namespace sshrelay::sshweb {

// The most a site's cache holds: this, or max-size when that is larger (one answer always fits).
inline constexpr std::uint64_t kProxyCacheBudget = 256ull << 20;

class ProxyFetcher {
 public:
  ProxyFetcher(const ProxyCacheConfig& config, std::chrono::milliseconds timeout);

  // The upstream's answer, any status (from the cache while fresh). Errors in sshttpd's words:
  // "origin not in allowlist: h", "blocked: …", "upstream response exceeded max-size (N bytes)", …
  Result<std::shared_ptr<const UpstreamResponse>> fetch(const std::string& url);

 private:
  Result<UpstreamResponse> fetch_following(const std::string& url);

  const ProxyCacheConfig config_;
  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;  // for cache_
  ProxyResponseCache cache_;
};

}  // namespace sshrelay::sshweb
