#include "core/sshweb/proxy_cache.hpp"

#include "core/common/text.hpp"
#include "core/rendezvous/rendezvous_api.hpp"

namespace sshrelay::sshweb {
namespace {

std::uint64_t size_of(const std::string& url, const UpstreamResponse& response) {
  std::uint64_t size = url.size() + response.reason.size() + response.body.size();
  for (const auto& [name, value] : response.headers) size += name.size() + value.size();
  return size;
}

}  // namespace

Result<Duration> parse_proxy_ttl(std::string_view text) {
  text = trim_space(text);
  if (text.empty()) return kDefaultProxyTtl;
  if (text.ends_with("d")) {
    std::uint32_t days = 0;
    if (parse_decimal(text.substr(0, text.size() - 1), days) && days <= 366) return Duration(std::chrono::hours(24) * days);
  } else if (auto parsed = rendezvous::parse_duration(text)) {
    return *parsed;
  }
  return local_error("ttl '" + std::string(text) + "' is not a duration (e.g. 30s, 5m, 1h30m, 24h, 7d; at most a year)");
}

std::shared_ptr<const UpstreamResponse> ProxyResponseCache::find(const std::string& url, TimePoint now) {
  const auto it = entries_.find(url);
  if (it == entries_.end()) return nullptr;
  if (now - it->second.fetched >= ttl_) {
    erase(it);
    return nullptr;
  }
  return it->second.response;
}

void ProxyResponseCache::store(const std::string& url, std::shared_ptr<const UpstreamResponse> response, TimePoint now) {
  if (!response || response->status >= 500 || ttl_ <= Duration::zero()) return;
  const auto size = size_of(url, *response);
  if (size > budget_bytes_) return;
  if (const auto old = entries_.find(url); old != entries_.end()) erase(old);
  for (auto it = entries_.begin(); it != entries_.end() && bytes_ + size > budget_bytes_;) {
    const auto next = std::next(it);
    if (now - it->second.fetched >= ttl_) erase(it);
    it = next;
  }
  while (bytes_ + size > budget_bytes_ && !entries_.empty()) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.fetched < oldest->second.fetched) oldest = it;
    }
    erase(oldest);
  }
  entries_[url] = Entry{std::move(response), now, size};
  bytes_ += size;
}

void ProxyResponseCache::erase(std::map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

}  // namespace sshrelay::sshweb
