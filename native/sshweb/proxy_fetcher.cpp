#include "native/sshweb/proxy_fetcher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <optional>

#include "core/common/text.hpp"
#include "core/sshweb/proxy_rules.hpp"
#include "core/sshweb/proxy_url.hpp"
#include "native/sshweb/backend_client.hpp"

namespace sshrelay::sshweb {
namespace {

using ProxyClock = std::chrono::steady_clock;

// Where `url`'s host resolves to. Unless allow-private-ips, one private or reserved address among them
// refuses the host: a name that also leads inside is not dialled at all.
Result<std::vector<std::string>> checked_addresses(const ProxyCacheConfig& config, const ProxyUrl& url) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto port = std::to_string(url.port);
  const auto results = resolver.resolve(url.host, port, ec);
  if (ec) return local_error("upstream unreachable (" + url.host + ":" + port + "): " + ec.message());
  std::vector<std::string> addresses;
  for (const auto& entry : results) {
    const auto address = entry.endpoint().address();
    const bool non_public = address.is_v4() ? is_non_public_address(address.to_v4().to_bytes())
                                            : is_non_public_address(address.to_v6().to_bytes());
    if (non_public && !config.allow_private_ips) {
      return local_error("blocked: " + url.authority + " resolves to non-public address " + address.to_string());
    }
    if (std::find(addresses.begin(), addresses.end(), address.to_string()) == addresses.end()) addresses.push_back(address.to_string());
  }
  if (addresses.empty()) return local_error("upstream unreachable (" + url.host + ":" + port + "): no address");
  return addresses;
}

// The config's ttl was checked when it was read; this only chooses the default for none.
Duration ttl_of(const ProxyCacheConfig& config) {
  auto ttl = parse_proxy_ttl(config.ttl);
  return ttl ? *ttl : kDefaultProxyTtl;
}

std::optional<std::string> location_of(const BackendResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (ascii_lower(name) == "location") return value;
  }
  return std::nullopt;
}

}  // namespace

ProxyFetcher::ProxyFetcher(const ProxyCacheConfig& config, std::chrono::milliseconds timeout)
    : config_(config),
      timeout_(timeout),
      cache_(ttl_of(config), std::max(kProxyCacheBudget, config.max_size)) {}

Result<std::shared_ptr<const UpstreamResponse>> ProxyFetcher::fetch(const std::string& url) {
  // The rules come before the cache: what they refuse is refused, kept or not.
  auto parsed = parse_proxy_url(url);
  if (!parsed) return parsed.error();
  if (auto allowed = check_proxy_url(config_, *parsed, false); !allowed) return allowed.error();
  {
    std::lock_guard lock(mutex_);
    if (auto kept = cache_.find(url, ProxyClock::now())) return kept;
  }
  auto fetched = fetch_following(url);
  if (!fetched) return fetched.error();
  auto response = std::make_shared<const UpstreamResponse>(std::move(*fetched));
  std::lock_guard lock(mutex_);
  cache_.store(url, response, ProxyClock::now());
  return response;
}

Result<UpstreamResponse> ProxyFetcher::fetch_following(const std::string& url) {
  const auto deadline = ProxyClock::now() + timeout_;
  std::string next = url;
  for (std::uint32_t redirects = 0;; ++redirects) {
    auto hop = parse_proxy_url(next);
    if (!hop) return hop.error();
    if (auto allowed = check_proxy_url(config_, *hop, redirects > 0); !allowed) return allowed.error();
    auto addresses = checked_addresses(config_, *hop);
    if (!addresses) return addresses.error();
    const HttpOrigin origin{hop->tls(), hop->host, std::to_string(hop->port), hop->authority, std::move(*addresses)};
    const BackendRequest request{"GET", hop->target, "", {{"Accept", "*/*"}}};
    auto response = http_exchange(origin, request, {deadline, timeout_, config_.max_size, 64 * 1024, "upstream"});
    if (!response) return response.error();
    const auto location = location_of(*response);
    if (!config_.allow_redirects || !is_followed_redirect(response->status) || !location) {
      return UpstreamResponse{response->status, std::move(response->reason), std::move(response->headers), std::move(response->body)};
    }
    if (redirects >= config_.max_redirects) {
      return local_error("redirect chain exceeded " + std::to_string(config_.max_redirects) + " hops");
    }
    next = resolve_location(*hop, *location);
  }
}

}  // namespace sshrelay::sshweb
