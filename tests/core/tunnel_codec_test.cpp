// wsproxy's tunnel wire format (peers.md §1.6-1.7): the binary frame (with its test vector), the JSON
// control messages as both sides read them, the Host rules and the header filters.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tunnel/header_filter.hpp"
#include "core/tunnel/tunnel_frame.hpp"
#include "core/tunnel/tunnel_host.hpp"
#include "core/tunnel/tunnel_messages.hpp"
#include "tests/core/test_text.hpp"

namespace sshrelay::tunnel {
namespace {

using testing::bytes;

TEST(TunnelFrame, MatchesWsproxysVector) {
  const std::vector<std::uint8_t> expected = {0x00, 0x00, 0x00, 0x0c, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
                                              0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x68, 0x69};
  EXPECT_EQ(encode_frame("0123456789ab", bytes("hi")), expected);
  const auto frame = decode_frame(expected);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->conn_id, "0123456789ab");
  EXPECT_EQ(std::string(frame->payload.begin(), frame->payload.end()), "hi");
  auto header = frame_header("0123456789ab");
  EXPECT_EQ(header, std::vector<std::uint8_t>(expected.begin(), expected.begin() + 16));
}

TEST(TunnelFrame, DropsWhatDoesNotParse) {
  EXPECT_FALSE(decode_frame(std::vector<std::uint8_t>{0, 0, 0}));
  EXPECT_FALSE(decode_frame(std::vector<std::uint8_t>{0, 0, 0, 0, 'x'}));       // id length 0
  EXPECT_FALSE(decode_frame(std::vector<std::uint8_t>{0, 0, 0, 65}));           // over 64
  EXPECT_FALSE(decode_frame(std::vector<std::uint8_t>{0, 0, 0, 3, 'a', 'b'}));  // shorter than it says
  const auto empty_payload = decode_frame(std::vector<std::uint8_t>{0, 0, 0, 2, 'a', 'b'});
  ASSERT_TRUE(empty_payload);
  EXPECT_TRUE(empty_payload->payload.empty());
  std::vector<std::uint8_t> longest = {0, 0, 0, 64};
  longest.resize(4 + 64 + 1, 'z');
  EXPECT_TRUE(decode_frame(longest));
}

TEST(TunnelMessages, WritesTheRelaysMessagesAsWsproxyDoes) {
  auto ready = nlohmann::json::parse(to_json(TunnelReady{"https://0123456789abcdef.t.example.com", 10000}));
  EXPECT_EQ(ready, (nlohmann::json{{"type", "tunnel_ready"}, {"tunnelUrl", "https://0123456789abcdef.t.example.com"}, {"rawPort", 10000}}));
  auto request = nlohmann::json::parse(
      to_json(HttpRequest{"a1b2c3d4e5f6", "POST", "/x?y=1", {{"Content-Type", "application/octet-stream"}}, std::string("\0\xff", 2)}));
  EXPECT_EQ(request["type"], "http_request");
  EXPECT_EQ(request["path"], "/x?y=1");
  EXPECT_EQ(request["headers"]["Content-Type"], "application/octet-stream");
  EXPECT_EQ(request["body"], "AP8=");
  EXPECT_EQ(request["bodyEncoding"], "base64");
  // An empty body: no bodyEncoding at all.
  auto empty = nlohmann::json::parse(to_json(HttpRequest{"a1b2c3d4e5f6", "GET", "/", {}, ""}));
  EXPECT_EQ(empty["body"], "");
  EXPECT_FALSE(empty.contains("bodyEncoding"));
  EXPECT_EQ(nlohmann::json::parse(to_json(TcpOpen{"a1b2c3d4e5f6"})), (nlohmann::json{{"type", "tcp_open"}, {"connId", "a1b2c3d4e5f6"}}));
}

TEST(TunnelMessages, ReadsTheClientsAndIgnoresWhatWsproxyIgnores) {
  const auto response = parse_client_message(
      R"({"type":"http_response","id":"a1b2c3d4e5f6","status":201,"headers":{"X-A":"1"},"body":"aGk=","bodyEncoding":"base64"})");
  ASSERT_TRUE(response);
  const auto& r = std::get<HttpResponse>(*response);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "aGk=");
  EXPECT_EQ(r.body_encoding, "base64");
  EXPECT_EQ(r.headers, (HeaderList{{"X-A", "1"}}));
  const auto close = parse_client_message(R"({"type":"tcp_close","connId":"00000000000f"})");
  ASSERT_TRUE(close);
  EXPECT_EQ(std::get<TcpClose>(*close).conn_id, "00000000000f");

  for (const char* ignored : {
           "not json", "[]", R"({"type":"tcp_open","connId":"a1b2c3d4e5f6"})",  // the client cannot open connections
           R"({"type":"nonsense"})", R"({"type":"tcp_close","connId":"A1B2C3D4E5F6"})",  // upper case
           R"({"type":"tcp_close","connId":"conn-1"})",                                  // README's example ids
           R"({"type":"http_response","id":"req-1","status":200})",
           R"({"type":"http_response","id":"a1b2c3d4e5f6","status":"200"})",
           R"({"type":"http_response","id":"a1b2c3d4e5f6","status":200,"headers":{"X":1}})",
           R"({"type":"http_response","id":"a1b2c3d4e5f6","status":200,"headers":[]})", R"({"type":5})"}) {
    EXPECT_FALSE(parse_client_message(ignored)) << ignored;
  }
  // Absent fields are Go's zero values: status 0 is then refused where it is applied (502).
  const auto bare = parse_client_message(R"({"type":"http_response","id":"a1b2c3d4e5f6"})");
  ASSERT_TRUE(bare);
  EXPECT_EQ(std::get<HttpResponse>(*bare).status, 0);
}

TEST(TunnelMessages, TheClientReadsWhatTheRelayWrites) {
  const HttpRequest sent{"a1b2c3d4e5f6", "PUT", "/up", {{"X-Y", "z"}}, std::string("\x01\x02\x03", 3)};
  const auto read = parse_relay_message(to_json(sent));
  ASSERT_TRUE(read);
  const auto& r = std::get<HttpRequest>(*read);
  EXPECT_EQ(r.body, sent.body);
  EXPECT_EQ(r.headers, sent.headers);
  EXPECT_EQ(std::get<TunnelReady>(*parse_relay_message(to_json(TunnelReady{"", 0}))).raw_port, 0);
  EXPECT_EQ(std::get<TcpClose>(*parse_relay_message(to_json(TcpClose{"a1b2c3d4e5f6"}))).conn_id, "a1b2c3d4e5f6");
  EXPECT_FALSE(parse_relay_message(R"({"type":"tunnel_ready","tunnelUrl":"x","rawPort":70000})"));
}

TEST(TunnelHost, CanonicalisesAndMatchesLikeWsproxy) {
  EXPECT_EQ(canonical_host("  ABCDEF0123456789.Tunnels.Example.COM.:443 "), "abcdef0123456789.tunnels.example.com");
  EXPECT_EQ(canonical_host("[::1]:8080"), "::1");
  EXPECT_EQ(canonical_host("::1"), "::1");
  const std::string domain = "tunnels.example.com";
  EXPECT_EQ(std::get<std::string>(match_tunnel_host("ABCDEF0123456789.tunnels.example.com:8443", domain)), "abcdef0123456789");
  EXPECT_TRUE(std::holds_alternative<InvalidTunnelHost>(match_tunnel_host("abc123.tunnels.example.com", domain)));
  EXPECT_TRUE(std::holds_alternative<InvalidTunnelHost>(match_tunnel_host("a.abcdef0123456789.tunnels.example.com", domain)));
  EXPECT_TRUE(std::holds_alternative<InvalidTunnelHost>(match_tunnel_host("abcdef012345678g.tunnels.example.com", domain)));
  EXPECT_TRUE(std::holds_alternative<NotTunnelHost>(match_tunnel_host("tunnels.example.com", domain)));
  EXPECT_TRUE(std::holds_alternative<NotTunnelHost>(match_tunnel_host("abcdef0123456789.xtunnels.example.com", domain)));
  EXPECT_TRUE(std::holds_alternative<NotTunnelHost>(match_tunnel_host("relay.example.com", domain)));
  EXPECT_TRUE(std::holds_alternative<NotTunnelHost>(match_tunnel_host("abcdef0123456789.tunnels.example.com", "")));
  EXPECT_EQ(tunnel_url("abcdef0123456789", domain), "https://abcdef0123456789.tunnels.example.com");
  EXPECT_EQ(tunnel_url("abcdef0123456789", domain, 8443), "https://abcdef0123456789.tunnels.example.com:8443");
}

TEST(TunnelHeaders, RequestsLoseCredentialsAndGainGoNames) {
  const auto out = forwardable_request_headers({{"content-type", "text/plain"}, {"Cookie", "s=1"}, {"AUTHORIZATION", "Bearer x"},
                                                {"x-csrf-token", "t"}, {"X-XSRF-Token", "t"}, {"Proxy-Authorization", "p"},
                                                {"Set-Cookie", "a"}, {"Host", "h"}, {"accept", "a/b"}, {"Accept", "c/d"},
                                                {"x-forwarded-for", "203.0.113.1"}, {"Transfer-Encoding", "chunked"},
                                                {"Expect", "100-continue"}});
  EXPECT_EQ(out, (HeaderList{{"Content-Type", "text/plain"}, {"Accept", "a/b, c/d"}, {"X-Forwarded-For", "203.0.113.1"}}));
  EXPECT_EQ(canonical_header_name("x-www-FORM"), "X-Www-Form");
  EXPECT_EQ(canonical_header_name("bad name"), "bad name");
}

TEST(TunnelHeaders, ResponsesKeepOnlyWhatIsTheSitesToSay) {
  HeaderList given = {{"Content-Type", "text/html"},  {"Set-Cookie", "a=b"},          {"Content-Length", "99"},
                      {"Strict-Transport-Security", "max-age=1"}, {"access-control-allow-origin", "*"},
                      {"X-Frame-Options", "DENY"},   {"Connection", "close"},       {"Bad Name", "x"},
                      {"X-Split", "a\r\nInjected: 1"}, {"X-Sep", "a\xe2\x80\xa8" "b"}, {"X-Tab", "a\tb"},
                      {"Cache-Control", "no-store"}, {std::string(129, 'x'), "long name"}, {"X-Long", std::string(8193, 'v')}};
  EXPECT_EQ(acceptable_response_headers(given),
            (HeaderList{{"Content-Type", "text/html"}, {"X-Tab", "a\tb"}, {"Cache-Control", "no-store"}}));
  HeaderList many;
  for (int i = 0; i < 150; ++i) many.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_EQ(acceptable_response_headers(many).size(), kMaxResponseHeaders);
}

}  // namespace
}  // namespace sshrelay::tunnel
