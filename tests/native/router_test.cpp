#include "native/daemon/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/close_code.hpp"

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

  V4Request v4(const Request& req) {
    auto routed = route(*ctx_, req);
    EXPECT_TRUE(std::holds_alternative<V4Request>(routed));
    return std::get<V4Request>(std::move(routed));
  }

  DaemonConfig config_;
  IoContextPool pool_{1};
  std::unique_ptr<RelayContext> ctx_;
};

TEST_F(RouterTest, ConnectParsesTheTarget) {
  auto request = v4(websocket_request("/v4/connect?host=db1.internal&port=2222&dstUsername=alice"));
  auto& connect = std::get<V4Connect>(request);
  EXPECT_EQ(connect.target.to_string(), "db1.internal:2222");
  EXPECT_EQ(connect.username, "alice");
}

TEST_F(RouterTest, ConnectWithABadTargetIsRefusedWithAReason) {
  auto request = v4(websocket_request("/v4/connect?host=db1&port=99999"));
  auto& refusal = std::get<WsRefusal>(request);
  EXPECT_EQ(refusal.code, close_code::protocol_error);
  EXPECT_NE(refusal.reason.find("99999"), std::string::npos) << refusal.reason;
}

TEST_F(RouterTest, ForeignOriginsAreRefusedWith4403) {
  auto denied = v4(websocket_request("/v4/connect?host=db1&port=22", "https://evil.example"));
  EXPECT_EQ(std::get<WsRefusal>(denied).code, close_code::denied);
  auto extension = v4(websocket_request("/v4/connect?host=db1&port=22", "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd"));
  EXPECT_TRUE(std::holds_alternative<V4Connect>(extension));
  auto own_page = v4(websocket_request("/v4/connect?host=db1&port=22", "https://relay.example.com"));
  EXPECT_TRUE(std::holds_alternative<V4Connect>(own_page));
}

TEST_F(RouterTest, ReconnectNeedsAWellFormedSidAndDecimalAck) {
  auto ok = v4(websocket_request("/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAA&ack=12345"));
  EXPECT_EQ(std::get<V4Reconnect>(ok).ack, 12345u);
  EXPECT_EQ(std::get<WsRefusal>(v4(websocket_request("/v4/reconnect?sid=short&ack=1"))).code, close_code::unknown_session);
  EXPECT_EQ(std::get<WsRefusal>(v4(websocket_request("/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAA&ack=-1"))).code,
            close_code::protocol_error);
}

TEST_F(RouterTest, PlainGetOnAV4EndpointAsksForAnUpgrade) {
  Request req{http::verb::get, "/v4/connect?host=a&port=22", 11};
  auto routed = route(*ctx_, req);
  ASSERT_TRUE(std::holds_alternative<http::message_generator>(routed));
}

}  // namespace
}  // namespace sshrelay::daemon
