#include "core/sshweb/site_documents.hpp"

#include <algorithm>

#include "core/common/utc_time.hpp"

namespace sshrelay::sshweb {
namespace {

using ordered_json = nlohmann::ordered_json;

std::string tier_or_denied(const std::optional<Tier>& tier) { return tier ? std::string(tier_name(*tier)) : "denied"; }

ordered_json string_list_or_null(const std::vector<std::string>& items) {
  return items.empty() ? ordered_json(nullptr) : ordered_json(items);
}

std::string xml_escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// A tool's tier: the first `mcp { auth { … } }` list naming it, else anonymous.
std::string tool_tier(const McpConfig& mcp, const std::string& name) {
  for (const auto tier : kTiers) {
    const auto& tools = mcp.tool_tiers[static_cast<std::size_t>(tier)];
    if (std::find(tools.begin(), tools.end(), name) != tools.end()) return std::string(tier_name(tier));
  }
  return "anonymous";
}

}  // namespace

std::string capabilities_document(const SiteConfig& site, const nlohmann::json& mcp_tools) {
  ordered_json doc;
  doc["protocol"] = kProtocolVersion;
  doc["site"] = {{"name", site.host}, {"host", site.host}};
  // The command names in sorted order, as Go writes a map.
  ordered_json commands = ordered_json::object();
  if (!site.api_routes.empty()) {
    std::vector<std::pair<std::string, ordered_json>> routes;
    for (const auto& route : site.api_routes) {
      const auto tier = site.allowed.lowest_tier({"api-call", route.method, route.route});
      routes.emplace_back(route.method + " " + route.route,
                          ordered_json{{"method", route.method}, {"route", route.route}, {"auth", tier_or_denied(tier)}});
    }
    std::sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    ordered_json by_key = ordered_json::object();
    for (auto& [key, value] : routes) by_key[key] = std::move(value);
    commands["api-call"] = {{"description", "Dynamic API endpoints"}, {"routes", std::move(by_key)}};
  }
  if (site.proxy_cache.configured()) {
    commands["proxy-call"] = {{"description", "Fetch an allowed origin through the site's cache"},
                              {"allowed-origins", site.proxy_cache.allow},
                              {"supports", {"caching"}}};
  }
  if (!site.receive_pack_routes.empty()) {
    commands["receive-pack"] = {{"description", "The site's content as a Git packfile"},
                                {"routes", site.receive_pack_routes},
                                {"supports", {"delta", "incremental", "backend-fallback"}}};
  }
  doc["commands"] = std::move(commands);
  doc["auth"] = {{"modes", {"anonymous", "identified", "trusted"}}, {"key-types", {"ed25519", "ecdsa-sha2-nistp256"}}};
  if (site.mcp) {
    ordered_json tools = ordered_json::array();
    for (const auto& tool : mcp_tools) {
      if (!tool.is_object() || !tool.contains("name") || !tool["name"].is_string()) continue;
      const auto name = tool["name"].get<std::string>();
      ordered_json entry{{"name", name}};
      if (tool.contains("description")) entry["description"] = ordered_json(tool["description"]);
      if (tool.contains("inputSchema")) entry["inputSchema"] = ordered_json(tool["inputSchema"]);
      entry["auth"] = tool_tier(*site.mcp, name);
      tools.push_back(std::move(entry));
    }
    doc["mcp"] = {{"version", "1.0"}, {"tools", std::move(tools)}};
  }
  if (!site.feeds.empty()) {
    auto feeds = site.feeds;
    std::sort(feeds.begin(), feeds.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    ordered_json by_path = ordered_json::object();
    for (const auto& feed : feeds) by_path[feed.path] = {{"format", feed.format}, {"path", feed.path}};
    doc["feeds"] = std::move(by_path);
  }
  if (site.sitemap) doc["sitemap"] = {{"dynamic", site.sitemap->dynamic}, {"path", site.sitemap->path}};
  if (site.robots) {
    ordered_json robots{{"crawl-delay", site.robots->crawl_delay.value_or(0)}};
    if (!site.robots->allowed_paths.empty()) robots["allowed-paths"] = site.robots->allowed_paths;
    doc["robots"] = std::move(robots);
  }
  return doc.dump(2);
}

std::string sitemap_document(const SiteConfig& site, const std::vector<SiteFile>& files) {
  ordered_json entries = ordered_json::array();
  for (const auto& route : site.receive_pack_routes) entries.push_back({{"path", route}, {"type", "receive-pack"}});
  if (site.sitemap && site.sitemap->dynamic && !site.root.empty()) {
    for (const auto& file : files) entries.push_back({{"path", "/" + file.path}, {"type", "static"}});
  }
  return ordered_json{{"site", site.host}, {"entries", std::move(entries)}}.dump(2);
}

std::string robots_document(const SiteConfig& site) {
  const RobotsConfig robots = site.robots.value_or(RobotsConfig{});
  return ordered_json{{"crawl-delay", robots.crawl_delay.value_or(0)},
                      {"allowed-paths", string_list_or_null(robots.allowed_paths)},
                      {"blocked-paths", nullptr}}
      .dump(2);
}

Result<std::string> feed_document(const SiteConfig& site, std::string_view feed_path, const std::vector<SiteFile>& files) {
  const auto feed = std::find_if(site.feeds.begin(), site.feeds.end(), [&](const auto& f) { return f.path == feed_path; });
  if (feed == site.feeds.end()) return local_error("no feed configured at " + std::string(feed_path));
  std::int64_t newest = 0;
  for (const auto& file : files) newest = std::max(newest, file.modified_unix_ms);
  const auto when = [](std::int64_t ms) { return format_utc_millis(ms - ms % 1000).substr(0, 19) + "Z"; };
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  xml += "  <title>" + xml_escaped(site.host) + "</title>\n";
  xml += "  <id>ssh-web://" + xml_escaped(site.host) + xml_escaped(feed->path) + "</id>\n";
  xml += "  <updated>" + when(newest) + "</updated>\n";
  for (const auto& file : files) {
    xml += "  <entry>\n";
    xml += "    <title>" + xml_escaped(file.path) + "</title>\n";
    xml += "    <id>ssh-web://" + xml_escaped(site.host) + "/" + xml_escaped(file.path) + "</id>\n";
    xml += "    <updated>" + when(file.modified_unix_ms) + "</updated>\n";
    xml += "  </entry>\n";
  }
  xml += "</feed>\n";
  return xml;
}

}  // namespace sshrelay::sshweb
