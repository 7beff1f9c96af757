#include "core/sshweb/site_config.hpp"

#include <algorithm>
#include <map>
#include <span>

#include "core/common/nearest_name.hpp"
#include "core/common/text.hpp"
#include "core/sshweb/config_syntax.hpp"
#include "core/sshweb/proxy_cache.hpp"
#include "core/sshweb/route_pattern.hpp"

namespace sshrelay::sshweb {
namespace {

class Interpreter {
 public:
  explicit Interpreter(std::string_view file) : file_(file) {}

  Result<SshWebConfig> config(const std::vector<ConfigStatement>& top) {
    SshWebConfig out;
    std::map<std::uint16_t, std::string> ports;
    for (const auto& statement : top) {
      if (word(statement, 0) != "site") {
        return error(statement, "only 'site <host> { … }' blocks may be at the top level, not '" + word(statement, 0) + "'");
      }
      if (statement.words.size() != 2 || !statement.block) return error(statement, "write 'site <host> { … }'");
      auto site = this->site(statement);
      if (!site) return site.error();
      const auto [it, fresh] = ports.emplace(site->port, site->host);
      if (!fresh) {
        return error(statement, "site " + site->host + " uses port " + std::to_string(site->port) + ", as site " +
                                    it->second + " does: a site is chosen by its port");
      }
      out.sites.push_back(std::move(*site));
    }
    if (out.sites.empty()) return local_error(std::string(file_) + ": no 'site <host> { … }' block");
    return out;
  }

 private:
  static std::string word(const ConfigStatement& s, std::size_t i) { return i < s.words.size() ? s.words[i].text : ""; }

  Error error(const ConfigStatement& s, const std::string& what) const {
    return local_error(std::string(file_) + ":" + std::to_string(s.line) + ": " + what);
  }
  Error unknown(const ConfigStatement& s, const std::string& where, std::span<const std::string> known) const {
    const auto name = word(s, 0);
    std::string what = "unknown " + where + " '" + name + "'";
    if (auto near = nearest_name(name, known)) what += " (did you mean '" + *near + "'?)";
    return error(s, what);
  }
  // `directive VALUE`, one value.
  Result<std::string> single(const ConfigStatement& s) const {
    if (s.block) return error(s, "'" + word(s, 0) + "' takes no block");
    if (s.words.size() != 2 || s.words[1].list) return error(s, "write '" + word(s, 0) + " <value>'");
    return s.words[1].text;
  }
  Status no_block(const ConfigStatement& s) const {
    if (s.block) return error(s, "'" + word(s, 0) + "' takes no block");
    return Ok{};
  }
  Result<const std::vector<ConfigStatement>*> block(const ConfigStatement& s) const {
    if (!s.block || s.words.size() != 1) return error(s, "write '" + word(s, 0) + " { … }'");
    return &*s.block;
  }
  Status route(const ConfigStatement& s, const std::string& pattern) const {
    std::string why;
    if (!route_is_valid(pattern, &why)) return error(s, "route '" + pattern + "': " + why);
    return Ok{};
  }

  Result<SiteConfig> site(const ConfigStatement& statement) {
    SiteConfig site;
    site.host = statement.words[1].text;
    site.line = statement.line;
    static const std::vector<std::string> kDirectives = {"port", "host-key", "root", "backend", "authorized-keys", "commands",
                                                         "meta", "mcp", "proxy-cache", "auth", "limits"};
    for (const auto& s : *statement.block) {
      const auto name = word(s, 0);
      Status done = Ok{};
      if (name == "port") {
        auto value = single(s);
        if (!value) return value.error();
        if (!parse_decimal(*value, site.port) || site.port == 0) return error(s, "port '" + *value + "' is not a port number (1-65535)");
      } else if (name == "host-key" || name == "root" || name == "authorized-keys") {
        auto value = single(s);
        if (!value) return value.error();
        (name == "host-key" ? site.host_key : name == "root" ? site.root : site.authorized_keys) = *value;
      } else if (name == "backend") {
        auto value = single(s);
        if (!value) return value.error();
        if (!value->starts_with("http://") && !value->starts_with("https://")) {
          return error(s, "backend '" + *value + "' is not an http:// or https:// URL");
        }
        while (!value->empty() && value->back() == '/') value->pop_back();
        site.backend = *value;
      } else if (name == "commands") {
        done = commands(s, site);
      } else if (name == "meta") {
        done = meta(s, site);
      } else if (name == "mcp") {
        done = mcp(s, site);
      } else if (name == "proxy-cache") {
        done = proxy_cache(s, site);
      } else if (name == "auth") {
        done = auth(s, site);
      } else if (name == "limits") {
        done = limits(s, site);
      } else {
        return unknown(s, "site directive", kDirectives);
      }
      if (!done) return done.error();
    }
    return site;
  }

  Status commands(const ConfigStatement& statement, SiteConfig& site) {
    auto lines = block(statement);
    if (!lines) return lines.error();
    for (const auto& s : **lines) {
      if (auto ok = no_block(s); !ok) return ok;
      const auto verb = word(s, 0);
      if (verb == "receive-pack") {
        if (s.words.size() != 2) return error(s, "write 'receive-pack <route>'");
        if (auto ok = route(s, s.words[1].text); !ok) return ok;
        site.receive_pack_routes.push_back(s.words[1].text);
      } else if (verb == "api-call") {
        if (s.words.size() != 3) return error(s, "write 'api-call <METHOD> <route>'");
        const auto method = ascii_upper(s.words[1].text);
        if (!is_http_token(method)) return error(s, "'" + s.words[1].text + "' is not an HTTP method");
        if (auto ok = route(s, s.words[2].text); !ok) return ok;
        site.api_routes.push_back({method, s.words[2].text});
      } else {
        OtherCommand other{verb, {}};
        for (std::size_t i = 1; i < s.words.size(); ++i) other.arguments.push_back(s.words[i].text);
        site.other_commands.push_back(std::move(other));
      }
    }
    return Ok{};
  }

  // `key=value` words after the keyword.
  static std::optional<std::string> option(const ConfigStatement& s, std::string_view key) {
    for (std::size_t i = 1; i < s.words.size(); ++i) {
      const auto& text = s.words[i].text;
      if (text.size() > key.size() && text.starts_with(key) && text[key.size()] == '=') return text.substr(key.size() + 1);
    }
    return std::nullopt;
  }

  Status meta(const ConfigStatement& statement, SiteConfig& site) {
    auto lines = block(statement);
    if (!lines) return lines.error();
    static const std::vector<std::string> kKeywords = {"rss-feed", "sitemap", "robots"};
    for (const auto& s : **lines) {
      if (auto ok = no_block(s); !ok) return ok;
      const auto keyword = word(s, 0);
      if (keyword == "rss-feed") {
        if (s.words.size() < 2 || !s.words[1].text.starts_with("/")) return error(s, "write 'rss-feed <path> [format=atom]'");
        FeedConfig feed{s.words[1].text, option(s, "format").value_or("atom")};
        if (feed.format != "atom" && feed.format != "rss") return error(s, "feed format '" + feed.format + "': atom or rss");
        site.feeds.push_back(std::move(feed));
      } else if (keyword == "sitemap") {
        if (s.words.size() < 2 || !s.words[1].text.starts_with("/")) return error(s, "write 'sitemap <path> [dynamic=true]'");
        SitemapConfig sitemap{s.words[1].text, false};
        if (auto dynamic = option(s, "dynamic")) {
          auto value = parse_bool_word(*dynamic);
          if (!value) return error(s, "dynamic='" + *dynamic + "' is not true or false");
          sitemap.dynamic = *value;
        }
        site.sitemap = std::move(sitemap);
      } else if (keyword == "robots") {
        RobotsConfig robots;
        for (std::size_t i = 1; i < s.words.size(); ++i) {
          const auto& w = s.words[i];
          if (w.text.starts_with("crawl-delay=")) {
            std::uint32_t delay = 0;
            if (!parse_decimal(std::string_view(w.text).substr(12), delay)) return error(s, "crawl-delay needs a number of seconds");
            robots.crawl_delay = delay;
          } else if (w.text == "allow=" && w.list) {
            robots.allowed_paths = *w.list;
          } else {
            return error(s, "robots takes crawl-delay=N and allow=[paths], not '" + w.text + "'");
          }
        }
        site.robots = std::move(robots);
      } else {
        return unknown(s, "meta keyword", kKeywords);
      }
    }
    return Ok{};
  }

  Result<std::vector<std::string>> tier_list(const ConfigStatement& s) const {
    std::vector<std::string> items;
    for (std::size_t i = 1; i < s.words.size(); ++i) {
      const auto& w = s.words[i];
      if (!w.list || !w.text.empty()) return error(s, "write '" + word(s, 0) + " [item, item, …]'");
      items.insert(items.end(), w.list->begin(), w.list->end());
    }
    return items;
  }

  Status mcp(const ConfigStatement& statement, SiteConfig& site) {
    auto lines = block(statement);
    if (!lines) return lines.error();
    McpConfig mcp;
    bool have_server = false;
    for (const auto& s : **lines) {
      const auto keyword = word(s, 0);
      if (keyword == "server") {
        if (auto ok = no_block(s); !ok) return ok;
        if (s.words.size() != 3 || (word(s, 1) != "stdio" && word(s, 1) != "http")) {
          return error(s, "write 'server stdio \"<command>\"' or 'server http <URL>'");
        }
        mcp.transport = word(s, 1) == "stdio" ? McpConfig::Transport::stdio : McpConfig::Transport::http;
        mcp.target = word(s, 2);
        have_server = true;
      } else if (keyword == "auth") {
        auto tiers = block(s);
        if (!tiers) return tiers.error();
        for (const auto& t : **tiers) {
          const auto tier = parse_tier(word(t, 0));
          if (!tier) return error(t, "'" + word(t, 0) + "' is not a tier (anonymous, identified, trusted)");
          auto items = tier_list(t);
          if (!items) return items.error();
          auto& tools = mcp.tool_tiers[static_cast<std::size_t>(*tier)];
          tools.insert(tools.end(), items->begin(), items->end());
        }
      } else {
        static const std::vector<std::string> kKeywords = {"server", "auth"};
        return unknown(s, "mcp keyword", kKeywords);
      }
    }
    if (!have_server) return error(statement, "an mcp block needs 'server stdio \"<command>\"' or 'server http <URL>'");
    site.mcp = std::move(mcp);
    return Ok{};
  }

  Status proxy_cache(const ConfigStatement& statement, SiteConfig& site) {
    auto lines = block(statement);
    if (!lines) return lines.error();
    auto& proxy = site.proxy_cache;
    static const std::vector<std::string> kKeywords = {"allow", "deny", "ttl", "max-size", "storage", "max-redirects",
                                                       "allow-private-ips", "allow-redirects"};
    for (const auto& s : **lines) {
      const auto keyword = word(s, 0);
      if (std::find(kKeywords.begin(), kKeywords.end(), keyword) == kKeywords.end()) return unknown(s, "proxy-cache keyword", kKeywords);
      auto value = single(s);
      if (!value) return value.error();
      if (keyword == "allow") {
        proxy.allow.push_back(*value);
      } else if (keyword == "deny") {
        if (*value != "*") return error(s, "only 'deny *' is understood");
        proxy.deny_all = true;
      } else if (keyword == "ttl") {
        if (auto ttl = parse_proxy_ttl(*value); !ttl) return error(s, ttl.error().message);
        proxy.ttl = *value;
      } else if (keyword == "max-size") {
        auto size = parse_size(*value);
        if (!size) return error(s, "max-size '" + *value + "' is not a size (e.g. 64mib, 10mb, 512k)");
        proxy.max_size = *size;
      } else if (keyword == "storage") {
        proxy.storage = *value;
      } else if (keyword == "max-redirects") {
        if (!parse_decimal(*value, proxy.max_redirects)) return error(s, "max-redirects needs a number");
      } else {
        auto flag = parse_bool_word(*value);
        if (!flag) return error(s, keyword + " '" + *value + "' is not true or false");
        (keyword == "allow-private-ips" ? proxy.allow_private_ips : proxy.allow_redirects) = *flag;
      }
    }
    return Ok{};
  }

  Status auth(const ConfigStatement& statement, SiteConfig& site) {
    auto lines = block(statement);
    if (!lines) return lines.error();
    for (const auto& s : **lines) {
      if (auto ok = no_block(s); !ok) return ok;
      const auto tier = parse_tier(word(s, 0));
      if (!tier) return error(s, "'" + word(s, 0) + "' is not a tier (anonymous, identified, trusted)");
      auto items = tier_list(s);
      if (!items) return items.error();
      auto& added = site.allowed.added[static_cast<std::size_t>(*tier)];
      added.insert(added.end(), items->begin(), items->end());
    }
    return Ok{};
  }

  Status limits(const ConfigStatement& statement, SiteConfig& site) {
    auto lines = block(statement);
    if (!lines) return lines.error();
    for (const auto& s : **lines) {
      const auto tier = parse_tier(word(s, 0));
      if (!tier) return error(s, "'" + word(s, 0) + "' is not a tier (anonymous, identified, trusted)");
      auto value = single(s);
      if (!value) return value.error();
      auto limit = parse_rate_limit(*value);
      if (!limit) return error(s, limit.error().message);
      site.limits[static_cast<std::size_t>(*tier)] = *limit;
    }
    return Ok{};
  }

  std::string_view file_;
};

}  // namespace

const ApiRoute* SiteConfig::api_route_for(std::string_view method, std::string_view path) const {
  const auto wanted = ascii_upper(method);
  for (const auto& route : api_routes) {
    if (route.method == wanted && route_matches(route.route, path)) return &route;
  }
  return nullptr;
}

Result<SshWebConfig> parse_sshweb_config(std::string_view text, std::string_view file) {
  auto statements = parse_config_syntax(text, file);
  if (!statements) return statements.error();
  return Interpreter(file).config(*statements);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto lowered = ascii_lower(trim_space(text));
  std::size_t digits = 0;
  while (digits < lowered.size() && lowered[digits] >= '0' && lowered[digits] <= '9') ++digits;
  std::uint64_t number = 0;
  if (!parse_decimal(std::string_view(lowered).substr(0, digits), number)) return std::nullopt;
  const auto unit = std::string_view(lowered).substr(digits);
  static const std::map<std::string_view, std::uint64_t> kUnits = {
      {"", 1},          {"b", 1},           {"k", 1ull << 10},  {"m", 1ull << 20},       {"g", 1ull << 30},
      {"kib", 1ull << 10}, {"mib", 1ull << 20}, {"gib", 1ull << 30}, {"kb", 1000},     {"mb", 1000 * 1000},
      {"gb", 1000ull * 1000 * 1000}};
  const auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  if (number > UINT64_MAX / it->second) return std::nullopt;
  return number * it->second;
}

}  // namespace sshrelay::sshweb
