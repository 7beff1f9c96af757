#pragma once
// What sshwebd answers without a backend: the `capabilities` manifest, `sitemap`, `robots` and the
// `rss-feed` (Atom) of a site — sshttpd's documents, key for key (docs/sshweb.md). JSON is indented by
// two spaces with sshttpd's key order; the site's files are the caller's (native code walks `root`).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/sshweb/site_config.hpp"

namespace sshrelay::sshweb {

inline constexpr const char* kProtocolVersion = "ssh-web/0.1";

// A regular file under the site's root.
struct SiteFile {
  std::string path;  // relative to the root, '/'-separated, no leading '/'
  std::uint64_t size = 0;
  std::int64_t modified_unix_ms = 0;
};

// `mcp_tools`: the MCP server's tools/list entries ({"name", "description"?, "inputSchema"?}), if any.
std::string capabilities_document(const SiteConfig& site, const nlohmann::json& mcp_tools = nlohmann::json::array());
std::string sitemap_document(const SiteConfig& site, const std::vector<SiteFile>& files);
std::string robots_document(const SiteConfig& site);
// Atom for the feed at `feed_path`; an error when no feed is configured there.
Result<std::string> feed_document(const SiteConfig& site, std::string_view feed_path, const std::vector<SiteFile>& files);

}  // namespace sshrelay::sshweb
