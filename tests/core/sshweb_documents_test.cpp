// The documents sshwebd answers by itself, key for key as sshttpd writes them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/sshweb/site_documents.hpp"

namespace sshrelay::sshweb {
namespace {

SiteConfig example_site() {
  auto config = parse_sshweb_config(R"(site docs.example {
  root /srv/docs
  commands {
    receive-pack /
    api-call POST /api/notes
    api-call GET /api/notes/{id}
  }
  meta {
    rss-feed /feed
    sitemap /sitemap dynamic=true
    robots crawl-delay=2 allow=[/]
  }
  proxy-cache {
    allow cdn.example.org
  }
  auth {
    anonymous [capabilities, receive-pack, api-call GET]
    identified [api-call POST]
  }
})",
                                    "c");
  EXPECT_TRUE(config) << config.error().message;
  return config->sites.at(0);
}

TEST(SshWebDocuments, CapabilitiesKeepSshttpdsShapeAndOrder) {
  const auto site = example_site();
  const auto text = capabilities_document(site);
  const auto doc = nlohmann::ordered_json::parse(text);
  std::vector<std::string> top;
  for (const auto& [key, value] : doc.items()) top.push_back(key);
  EXPECT_EQ(top, (std::vector<std::string>{"protocol", "site", "commands", "auth", "feeds", "sitemap", "robots"}));
  EXPECT_EQ(doc["protocol"], "ssh-web/0.1");
  EXPECT_EQ(doc["site"], (nlohmann::ordered_json{{"name", "docs.example"}, {"host", "docs.example"}}));
  std::vector<std::string> commands;
  for (const auto& [key, value] : doc["commands"].items()) commands.push_back(key);
  EXPECT_EQ(commands, (std::vector<std::string>{"api-call", "proxy-call", "receive-pack"})) << "sorted, as Go writes a map";
  const auto& routes = doc["commands"]["api-call"]["routes"];
  EXPECT_EQ(routes["GET /api/notes/{id}"]["auth"], "anonymous");
  EXPECT_EQ(routes["POST /api/notes"]["auth"], "identified");
  EXPECT_EQ(routes.begin().key(), "GET /api/notes/{id}");
  EXPECT_EQ(doc["commands"]["receive-pack"]["supports"], (nlohmann::ordered_json{"delta", "incremental", "backend-fallback"}));
  EXPECT_EQ(doc["commands"]["proxy-call"]["allowed-origins"], (nlohmann::ordered_json{"cdn.example.org"}));
  EXPECT_EQ(doc["feeds"]["/feed"]["format"], "atom");
  EXPECT_EQ(doc["sitemap"]["dynamic"], true);
  EXPECT_EQ(doc["robots"]["crawl-delay"], 2);
  EXPECT_NE(text.find("\n  \"protocol\""), std::string::npos) << "indented by two spaces";
}

TEST(SshWebDocuments, McpToolsCarryTheirTier) {
  auto site = example_site();
  site.mcp = McpConfig{};
  site.mcp->tool_tiers[2] = {"deploy"};
  const auto doc = nlohmann::json::parse(capabilities_document(
      site, nlohmann::json::array({{{"name", "search"}, {"description", "Find notes"}}, {{"name", "deploy"}}})));
  ASSERT_EQ(doc["mcp"]["tools"].size(), 2u);
  EXPECT_EQ(doc["mcp"]["tools"][0]["auth"], "anonymous");
  EXPECT_EQ(doc["mcp"]["tools"][0]["description"], "Find notes");
  EXPECT_EQ(doc["mcp"]["tools"][1]["auth"], "trusted");
}

TEST(SshWebDocuments, SitemapRobotsAndFeed) {
  const auto site = example_site();
  const std::vector<SiteFile> files = {{"index.html", 10, 1'700'000'000'000}, {"notes/a&b.html", 20, 1'700'000'100'500}};
  const auto sitemap = nlohmann::json::parse(sitemap_document(site, files));
  EXPECT_EQ(sitemap["site"], "docs.example");
  ASSERT_EQ(sitemap["entries"].size(), 3u);
  EXPECT_EQ(sitemap["entries"][0], (nlohmann::json{{"path", "/"}, {"type", "receive-pack"}}));
  EXPECT_EQ(sitemap["entries"][2], (nlohmann::json{{"path", "/notes/a&b.html"}, {"type", "static"}}));
  const auto robots = nlohmann::json::parse(robots_document(site));
  EXPECT_EQ(robots["crawl-delay"], 2);
  EXPECT_EQ(robots["allowed-paths"], (nlohmann::json{"/"}));
  EXPECT_TRUE(robots["blocked-paths"].is_null());
  EXPECT_TRUE(nlohmann::json::parse(robots_document(SiteConfig{}))["allowed-paths"].is_null()) << "empty lists are null";
  auto feed = feed_document(site, "/feed", files);
  ASSERT_TRUE(feed);
  EXPECT_NE(feed->find("<id>ssh-web://docs.example/feed</id>"), std::string::npos) << *feed;
  EXPECT_NE(feed->find("<title>notes/a&amp;b.html</title>"), std::string::npos) << *feed;
  EXPECT_NE(feed->find("<updated>2023-11-14T22:15:00Z</updated>"), std::string::npos) << *feed;
  auto missing = feed_document(site, "/other", files);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "no feed configured at /other");
}

}  // namespace
}  // namespace sshrelay::sshweb
