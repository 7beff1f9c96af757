// The HTTP/1.1 wire form proxy-call answers with, byte for byte.
#include <gtest/gtest.h>

#include "core/sshweb/http_envelope.hpp"

namespace sshrelay::sshweb {
namespace {

TEST(SshWebHttpEnvelope, KeepsEndToEndHeadersAndFramesTheBodyItself) {
  UpstreamResponse response{200, "OK", {}, "hello\n"};
  response.headers = {{"Content-Type", "text/plain"},   {"transfer-encoding", "chunked"}, {"Keep-Alive", "timeout=5"},
                      {"ETag", "\"v1\""},               {"Connection", "keep-alive"},     {"Content-Length", "999"},
                      {"Set-Cookie", "a=1"},            {"Set-Cookie", "b=2"},            {"Upgrade", "h2c"},
                      {"Proxy-Authenticate", "Basic"}, {"TE", "trailers"},               {"Trailers", "X"}};
  EXPECT_EQ(http_envelope(response),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain\r\n"
            "ETag: \"v1\"\r\n"
            "Set-Cookie: a=1\r\n"
            "Set-Cookie: b=2\r\n"
            "Content-Length: 6\r\n"
            "Connection: close\r\n"
            "\r\n"
            "hello\n");
}

TEST(SshWebHttpEnvelope, PassesRedirectsAndErrorsThrough) {
  EXPECT_EQ(http_envelope({302, "Found", {{"Location", "/next"}}, ""}),
            "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(http_envelope({404, "Not Found", {}, "gone"}), "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngone");
}

TEST(SshWebHttpEnvelope, KnowsTheHopByHopHeadersInAnyCase) {
  for (const char* name : {"Connection", "KEEP-ALIVE", "proxy-authenticate", "Proxy-Authorization", "te", "Trailers",
                           "Transfer-Encoding", "upgrade"}) {
    EXPECT_TRUE(is_hop_by_hop_header(name)) << name;
  }
  for (const char* name : {"Content-Type", "Cache-Control", "Trailer", "Location"}) EXPECT_FALSE(is_hop_by_hop_header(name)) << name;
}

}  // namespace
}  // namespace sshrelay::sshweb
