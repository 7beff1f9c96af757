#pragma once
// sshwebd's configuration: sshttpd's grammar (docs/sshweb.md has the reference), read by a sans-I/O
// parser. Every error names the file, the line and what is wrong; where sshttpd silently ignores a
// word (an unknown keyword in `meta` or `proxy-cache`, a rate it cannot read), sshwebd refuses it and
// says why, suggesting the keyword meant.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"
#include "core/sshweb/rate_limit.hpp"
#include "core/sshweb/tier.hpp"

namespace sshrelay::sshweb {

inline constexpr std::uint16_t kDefaultPort = 22443;

struct ApiRoute {
  std::string method;  // upper case
  std::string route;
};

// Any other verb of the `commands` block (`proxy-call GET /{path*}`): kept, as sshttpd keeps it.
struct OtherCommand {
  std::string verb;
  std::vector<std::string> arguments;
};

struct FeedConfig {
  std::string path;
  std::string format = "atom";
};

struct SitemapConfig {
  std::string path;
  bool dynamic = false;
};

struct RobotsConfig {
  std::optional<std::uint32_t> crawl_delay;
  std::vector<std::string> allowed_paths;
};

struct McpConfig {
  enum class Transport { stdio, http };
  Transport transport = Transport::stdio;
  std::string target;  // the command line (stdio) or the URL (http)
  std::array<std::vector<std::string>, 3> tool_tiers;  // `auth { tier [tools…] }`, indexed by Tier
};

struct ProxyCacheConfig {
  std::vector<std::string> allow;  // hosts: exact, `*.suffix`, or `*`
  bool deny_all = false;
  std::string ttl;  // as written: checked here, read by parse_proxy_ttl (proxy_cache.hpp); empty: 24 h
  std::uint64_t max_size = 64ull << 20;
  std::string storage;
  std::uint32_t max_redirects = 10;
  bool allow_private_ips = false;
  bool allow_redirects = true;
  bool configured() const { return !allow.empty(); }
};

struct SiteConfig {
  std::string host;
  std::size_t line = 0;  // of its `site` line, for later messages
  std::uint16_t port = kDefaultPort;
  std::string host_key;
  std::string root;
  std::string backend;  // without a trailing '/'
  std::string authorized_keys;
  std::vector<std::string> receive_pack_routes;
  std::vector<ApiRoute> api_routes;
  std::vector<OtherCommand> other_commands;
  std::vector<FeedConfig> feeds;
  std::optional<SitemapConfig> sitemap;
  std::optional<RobotsConfig> robots;
  std::optional<McpConfig> mcp;
  ProxyCacheConfig proxy_cache;
  CommandAllowList allowed;
  std::array<std::optional<RateLimit>, 3> limits;  // indexed by Tier; none: unlimited

  // The configured api-call route `method` `path` falls under, if any.
  const ApiRoute* api_route_for(std::string_view method, std::string_view path) const;
};

struct SshWebConfig {
  std::vector<SiteConfig> sites;
};

// `file` names the text in errors. Two sites on one port are refused (a site is chosen by its port).
Result<SshWebConfig> parse_sshweb_config(std::string_view text, std::string_view file);

// Sizes as sshttpd writes them: a number and b, k/m/g (binary), kb/mb/gb (decimal), kib/mib/gib.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace sshrelay::sshweb
