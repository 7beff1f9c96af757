// Streamed HTTP through a tunnel (core/tunnel/streamed_http.hpp): the request head the relay writes, the
// response heads it reads back (split anywhere, interim ones, 101, malformed), and the negotiation flag.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tunnel/streamed_http.hpp"
#include "core/tunnel/tunnel_messages.hpp"
#include "tests/core/test_text.hpp"

namespace sshrelay::tunnel {
namespace {

using testing::bytes;
using testing::text;

TEST(TunnelStreams, RequestHeadDropsCredentialsAndHopByHopAndKeepsFraming) {
  const HeaderList fields = {{"Host", "0123456789abcdef.t.example.com"}, {"Cookie", "relay=secret"},
                             {"Authorization", "Bearer x"},            {"Connection", "keep-alive, X-Trace"},
                             {"X-Trace", "hop"},                       {"Keep-Alive", "timeout=5"},
                             {"Transfer-Encoding", "chunked"},         {"Expect", "100-continue"},
                             {"accept", "a"},                          {"Accept", "b"}};
  EXPECT_EQ(streamed_request_head("POST", "/up?x=1", fields),
            "POST /up?x=1 HTTP/1.1\r\n"
            "Host: 0123456789abcdef.t.example.com\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Expect: 100-continue\r\n"
            "accept: a\r\n"
            "Accept: b\r\n"
            "Connection: close\r\n\r\n");
}

TEST(TunnelStreams, RequestHeadKeepsAWebSocketUpgrade) {
  const HeaderList fields = {{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"},
                             {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Sec-WebSocket-Version", "13"}};
  EXPECT_EQ(streamed_request_head("GET", "/ws", fields),
            "GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  // An Upgrade field without Connection: upgrade asks for nothing.
  EXPECT_NE(streamed_request_head("GET", "/", {{"Upgrade", "websocket"}}).find("Connection: close\r\n"), std::string::npos);
}

TEST(TunnelStreams, ResponseHeadSplitAnywhereIsFilteredAndTheBodyPassesAsItIs) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nSet-Cookie: a=b\r\n"
      "Connection: keep-alive\r\nX-Frame-Options: DENY\r\nbad name: x\r\n\r\nhello";
  for (std::size_t split = 0; split <= response.size(); ++split) {
    StreamedResponse reader;
    auto out = reader.feed(bytes(response.substr(0, split)));
    EXPECT_EQ(reader.answered(), split >= response.size() - 5) << split;
    const auto rest = reader.feed(bytes(response.substr(split)));
    out.insert(out.end(), rest.begin(), rest.end());
    ASSERT_TRUE(reader.answered()) << split;
    EXPECT_EQ(text(out), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        << split;
  }
}

TEST(TunnelStreams, InterimHeadsPassAndTheFinalOneFollows) {
  StreamedResponse reader;
  const auto out = reader.feed(bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  EXPECT_EQ(reader.status(), 201);
  EXPECT_EQ(text(out),
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n");
}

TEST(TunnelStreams, ASwitchKeepsUpgradeAndConnectionAndThenPassesEverything) {
  StreamedResponse reader;
  const auto out = reader.feed(bytes(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
      "\x81\x02hi"));
  EXPECT_TRUE(reader.answered());
  EXPECT_EQ(text(out),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi");
  EXPECT_EQ(text(reader.feed(bytes("HTTP/1.1 200 OK\r\n\r\n"))), "HTTP/1.1 200 OK\r\n\r\n");
}

TEST(TunnelStreams, WhatIsNoResponseFails) {
  for (const std::string bad : {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/2 200\r\n\r\n",
                                "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n"}) {
    StreamedResponse reader;
    EXPECT_TRUE(reader.feed(bytes(bad)).empty()) << bad;
    EXPECT_TRUE(reader.failed()) << bad;
    EXPECT_FALSE(reader.failure().empty()) << bad;
    EXPECT_TRUE(reader.feed(bytes("more")).empty());
  }
  StreamedResponse endless;
  EXPECT_TRUE(endless.feed(bytes("HTTP/1.1 200 OK\r\nX: " + std::string(kMaxStreamedResponseHead, 'a'))).empty());
  EXPECT_TRUE(endless.failed());
}

TEST(TunnelStreams, PlainResponseIsComplete) {
  EXPECT_EQ(streamed_plain_response(502, "Bad Gateway", "no\n"),
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\nno\n");
}

TEST(TunnelStreams, TunnelReadySaysStreamsOnlyWhenOn) {
  EXPECT_FALSE(nlohmann::json::parse(to_json(TunnelReady{"", 0})).contains("streams"));
  const auto on = to_json(TunnelReady{"https://0123456789abcdef.t.example.com", 10000, true});
  EXPECT_EQ(nlohmann::json::parse(on)["streams"], true);
  const auto parsed = parse_relay_message(on);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(std::get<TunnelReady>(*parsed).streams);
  EXPECT_FALSE(std::get<TunnelReady>(*parse_relay_message(R"({"type":"tunnel_ready","tunnelUrl":"","streams":"yes"})")).streams);
}

}  // namespace
}  // namespace sshrelay::tunnel
