#include "native/daemon/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/wire/close_code.hpp"

namespace sshrelay::daemon {
namespace {


class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    config_.public_host = "relay.example.com";
    config_.public_port = 443;
    config_.allowed_origins = {"chrome-extension://iodihamcpbpeioajjeobimgagajmlibd"};
    ctx_ = std::make_unique<RelayContext>(config_, pool_);  // after config_: the context copies the origin list
  }

  Request websocket_request(const std::string& target, const std::string& origin = "") {
    Request req{http::verb::get, target, 11};
    req.set(http::field::host, "relay.example.com");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    if (!origin.empty()) req.set(http::field::origin, origin);
    return req;
  }

  WsRequest ws(const Request& req) {
    auto routed = route(*ctx_, req);
    EXPECT_TRUE(std::holds_alternative<WsRequest>(routed));
    if (!std::holds_alternative<WsRequest>(routed)) return {};
    return std::get<WsRequest>(std::move(routed));
  }

  // What the endpoint's own parser makes of the request's query.
  std::variant<EndpointRequest, RequestRefusal> parsed(const std::string& target,
                                                       const std::optional<Target>& fixed = std::nullopt) {
    auto request = ws(websocket_request(target));
    if (!request.endpoint) return RequestRefusal{0, "not routed"};
    return request.endpoint->parse(request.params, fixed);
  }

  DaemonConfig config_;
  IoContextPool pool_{1};
  std::unique_ptr<RelayContext> ctx_;
};

TEST_F(RouterTest, WebSocketRequestsGoToTheirEndpoint) {
  EXPECT_EQ(ws(websocket_request("/v4/connect?host=db1&port=22")).endpoint->kind, "v4");
  EXPECT_EQ(ws(websocket_request("/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAA&ack=1")).endpoint->kind, "v4");
  EXPECT_EQ(ws(websocket_request("/relay?host=db1&port=22")).endpoint->kind, "relay");
  EXPECT_EQ(ws(websocket_request("/websockify")).endpoint->kind, "relay");
  EXPECT_EQ(ws(websocket_request("/v4/connect?host=a&port=22&host=b")).repeated, "host");
}

TEST_F(RouterTest, ConnectParsesTheTarget) {
  auto request = std::get<EndpointRequest>(parsed("/v4/connect?host=db1.internal&port=2222&dstUsername=alice"));
  EXPECT_EQ(request.target->to_string(), "db1.internal:2222");
  EXPECT_EQ(request.target_user, "alice");
}

TEST_F(RouterTest, ConnectWithABadTargetIsRefusedWithAReason) {
  auto refusal = std::get<RequestRefusal>(parsed("/v4/connect?host=db1&port=99999"));
  EXPECT_EQ(refusal.code, close_code::protocol_error);
  EXPECT_NE(refusal.reason.find("99999"), std::string::npos) << refusal.reason;
}

TEST_F(RouterTest, ReconnectNeedsAWellFormedSidAndDecimalAck) {
  auto ok = std::get<EndpointRequest>(parsed("/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAA&ack=12345"));
  EXPECT_EQ(ok.resume_ack, 12345u);
  EXPECT_EQ(*ok.resume_sid, "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(std::get<RequestRefusal>(parsed("/v4/reconnect?sid=short&ack=1")).code, close_code::unknown_session);
  EXPECT_EQ(std::get<RequestRefusal>(parsed("/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAA&ack=-1")).code,
            close_code::protocol_error);
}

TEST_F(RouterTest, RelayNeedsHostAndPortUnlessTheTargetIsFixed) {
  EXPECT_EQ(std::get<EndpointRequest>(parsed("/relay?host=db1&port=22")).target->to_string(), "db1:22");
  EXPECT_EQ(std::get<RequestRefusal>(parsed("/relay?host=db1")).reason, "host and port query params required");
  EXPECT_EQ(std::get<RequestRefusal>(parsed("/relay?host=db1&port=0")).reason, "invalid port (must be 1-65535)");
  const Target fixed{"10.0.0.5", 5900};
  EXPECT_EQ(std::get<EndpointRequest>(parsed("/websockify", fixed)).target->to_string(), "10.0.0.5:5900");
}

TEST_F(RouterTest, PlainGetOnAWebSocketEndpointAsksForAnUpgrade) {
  Request req{http::verb::get, "/v4/connect?host=a&port=22", 11};
  req.set(http::field::host, "relay.example.com");
  auto routed = route(*ctx_, req);
  ASSERT_TRUE(std::holds_alternative<http::message_generator>(routed));
}

// Behind a proxy that appends its hop as a header field of its own (HAProxy's `option forwardfor`), the
// client's forged first field must not decide the address: every field counts, in order.
TEST_F(RouterTest, EveryForwardedForFieldCountsAndRepeatedSingleAddressHeadersAreIgnored) {
  config_.trusted_proxies = {*parse_cidr("127.0.0.1/32")};
  Request req{http::verb::get, "/healthz", 11};
  req.insert("X-Forwarded-For", "203.0.113.7");  // what the client sent
  req.insert("X-Forwarded-For", "198.51.100.20");  // what the proxy appended
  const ConnectionPeer proxy{"127.0.0.1", 40000, "127.0.0.1:40000"};
  EXPECT_EQ(client_address(*ctx_, req, proxy), "198.51.100.20");
  req.insert("X-Real-IP", "203.0.113.8");
  EXPECT_EQ(client_address(*ctx_, req, proxy), "203.0.113.8");
  req.insert("X-Real-IP", "203.0.113.9");
  EXPECT_EQ(client_address(*ctx_, req, proxy), "198.51.100.20") << "two X-Real-IP fields: neither is believed";
  EXPECT_EQ(client_address(*ctx_, req, ConnectionPeer{"192.0.2.1", 1, "192.0.2.1:1"}), "192.0.2.1") << "an untrusted peer is itself";
}

}  // namespace
}  // namespace sshrelay::daemon
