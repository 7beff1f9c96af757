// sshwebd's configuration: sshttpd's grammar read into sites, and every mistake named with its file and
// line.
#include <gtest/gtest.h>

#include "core/sshweb/site_config.hpp"

namespace sshrelay::sshweb {
namespace {

constexpr const char* kExample = R"(# two sites, as sshttpd's examples write them
site example.com {
  port 22443
  host-key /etc/sshwebd/example.key
  root ./public
  backend http://127.0.0.1:8000/
  authorized-keys ./authorized_keys

  commands {
    receive-pack /
    receive-pack /docs/{path*}
    api-call GET /api/items
    api-call post /api/items/{id}
    proxy-call GET /{path*}
  }
  meta {
    rss-feed /feed format=atom
    sitemap /sitemap dynamic=true
    robots crawl-delay=5 allow=["/", "/posts/*"]
  }
  mcp {
    server stdio "python3 tools.py --name \"x\""
    auth {
      trusted [deploy]
    }
  }
  proxy-cache {
    allow cdn.example.org
    allow *.static.example.net
    max-size 10mb
    allow-redirects no
  }
  auth {
    anonymous [capabilities, receive-pack, sitemap, robots, rss-feed]
    identified [api-call GET, mcp]
    trusted [
      api-call,
      admin-*
    ]
  }
  limits {
    anonymous 60/min
    identified 300/min
    trusted unlimited
  }
}

site other.example {
  port 22444
  root /srv/other
}
)";

TEST(SshWebConfig, ReadsEveryDirectiveOfTheExample) {
  auto config = parse_sshweb_config(kExample, "sshwebd.conf");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->sites.size(), 2u);
  const auto& site = config->sites[0];
  EXPECT_EQ(site.host, "example.com");
  EXPECT_EQ(site.line, 2u);
  EXPECT_EQ(site.port, 22443);
  EXPECT_EQ(site.host_key, "/etc/sshwebd/example.key");
  EXPECT_EQ(site.root, "./public");
  EXPECT_EQ(site.backend, "http://127.0.0.1:8000") << "the trailing slash goes";
  EXPECT_EQ(site.receive_pack_routes, (std::vector<std::string>{"/", "/docs/{path*}"}));
  ASSERT_EQ(site.api_routes.size(), 2u);
  EXPECT_EQ(site.api_routes[1].method, "POST");
  EXPECT_EQ(site.api_routes[1].route, "/api/items/{id}");
  ASSERT_EQ(site.other_commands.size(), 1u);
  EXPECT_EQ(site.other_commands[0].verb, "proxy-call");
  ASSERT_EQ(site.feeds.size(), 1u);
  EXPECT_EQ(site.feeds[0].path, "/feed");
  ASSERT_TRUE(site.sitemap);
  EXPECT_TRUE(site.sitemap->dynamic);
  ASSERT_TRUE(site.robots);
  EXPECT_EQ(site.robots->crawl_delay, 5u);
  EXPECT_EQ(site.robots->allowed_paths, (std::vector<std::string>{"/", "/posts/*"})) << "every item, not only the first";
  ASSERT_TRUE(site.mcp);
  EXPECT_EQ(site.mcp->target, "python3 tools.py --name \"x\"");
  EXPECT_EQ(site.mcp->tool_tiers[2], (std::vector<std::string>{"deploy"}));
  EXPECT_EQ(site.proxy_cache.allow, (std::vector<std::string>{"cdn.example.org", "*.static.example.net"}));
  EXPECT_EQ(site.proxy_cache.max_size, 10'000'000u);
  EXPECT_FALSE(site.proxy_cache.allow_redirects);
  EXPECT_EQ(site.allowed.added[2], (std::vector<std::string>{"api-call", "admin-*"})) << "a list may span lines";
  ASSERT_TRUE(site.limits[0]);
  EXPECT_EQ(site.limits[0]->count, 60u);
  EXPECT_EQ(site.limits[0]->period, std::chrono::minutes(1));
  EXPECT_FALSE(site.limits[2]) << "unlimited";
  EXPECT_EQ(config->sites[1].port, 22444);
  EXPECT_TRUE(config->sites[1].receive_pack_routes.empty());
}

TEST(SshWebConfig, MatchesApiRoutesByMethodAndPattern) {
  auto config = parse_sshweb_config(kExample, "c");
  ASSERT_TRUE(config);
  const auto& site = config->sites[0];
  EXPECT_TRUE(site.api_route_for("get", "/api/items?page=2"));
  EXPECT_TRUE(site.api_route_for("POST", "/api/items/42"));
  EXPECT_FALSE(site.api_route_for("POST", "/api/items"));
  EXPECT_FALSE(site.api_route_for("DELETE", "/api/items/42"));
}

// Each mistake: the line it is on and what is wrong.
TEST(SshWebConfig, NamesTheFileLineAndMistake) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"listen 22\n", "f.conf:1: only 'site <host> { … }' blocks may be at the top level, not 'listen'"},
      {"site a {\n  port 70000\n}\n", "f.conf:2: port '70000' is not a port number (1-65535)"},
      {"site a {\n  roots /x\n}\n", "f.conf:2: unknown site directive 'roots' (did you mean 'root'?)"},
      {"site a {\n  root /x\n", "f.conf:1: the block opened here is not closed ('}' missing)"},
      {"site a {\n}\n}\n", "f.conf:3: '}' without a block to close"},
      {"site a {\n  backend ftp://x\n}\n", "f.conf:2: backend 'ftp://x' is not an http:// or https:// URL"},
      {"site a {\n  commands {\n    api-call GET api\n  }\n}\n", "f.conf:3: route 'api': a route begins with '/'"},
      {"site a {\n  commands {\n    receive-pack /{p*}/x\n  }\n}\n", "f.conf:3: route '/{p*}/x': '{p*}' may only be the last segment"},
      {"site a {\n  meta {\n    sitemaps /s\n  }\n}\n", "f.conf:3: unknown meta keyword 'sitemaps' (did you mean 'sitemap'?)"},
      {"site a {\n  limits {\n    anonymous 60/fortnight\n  }\n}\n",
       "f.conf:3: '60/fortnight' is not a rate: write N/sec, N/min, N/hour, N/day or unlimited"},
      {"site a {\n  auth {\n    guests [x]\n  }\n}\n", "f.conf:3: 'guests' is not a tier (anonymous, identified, trusted)"},
      {"site a {\n  auth {\n    anonymous [x\n  }\n}\n", "f.conf:3: the list opened here is not closed (']' missing)"},
      {"site a {\n  mcp {\n    auth {\n    }\n  }\n}\n", "f.conf:2: an mcp block needs 'server stdio \"<command>\"' or 'server http <URL>'"},
      {"site a {\n  mcp {\n    server stdio \"unclosed\n  }\n}\n", "f.conf:3: a quoted word is not closed on its line"},
      {"site a {\n  proxy-cache {\n    max-size lots\n  }\n}\n", "f.conf:3: max-size 'lots' is not a size (e.g. 64mib, 10mb, 512k)"},
      {"site a {\n  proxy-cache {\n    ttl forever\n  }\n}\n",
       "f.conf:3: ttl 'forever' is not a duration (e.g. 30s, 5m, 1h30m, 24h, 7d; at most a year)"},
      {"site a {\n}\nsite b {\n}\n", "f.conf:3: site b uses port 22443, as site a does: a site is chosen by its port"},
      {"# nothing\n", "f.conf: no 'site <host> { … }' block"},
  };
  for (const auto& c : cases) {
    auto config = parse_sshweb_config(c.text, "f.conf");
    ASSERT_FALSE(config) << c.text;
    EXPECT_EQ(config.error().message, c.expected) << c.text;
  }
}

TEST(SshWebConfig, ReadsSizesAsSshttpdDoes) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("2k"), 2048u);
  EXPECT_EQ(parse_size("2KiB"), 2048u);
  EXPECT_EQ(parse_size("2kb"), 2000u);
  EXPECT_EQ(parse_size("64mib"), 64u << 20);
  EXPECT_EQ(parse_size("1g"), 1u << 30);
  EXPECT_FALSE(parse_size("1t"));
  EXPECT_FALSE(parse_size("mb"));
  EXPECT_FALSE(parse_size("99999999999999999999g"));
}

}  // namespace
}  // namespace sshrelay::sshweb
