// The listener's /healthz fast path (native/daemon/health_check): it answers only a complete,
// well-formed GET or HEAD for the health paths, and leaves everything else (unread) to the HTTP session,
// which answers malformed requests with 400. The request is written before the check runs, as when a
// loaded relay accepts a connection whose request has already arrived.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "native/daemon/health_check.hpp"

namespace sshrelay::daemon {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class HealthCheckFastPath : public ::testing::Test {
 protected:
  // Connects a client, writes `request`, accepts, waits until the whole request is readable on the
  // server side, then runs the fast path on it.
  bool check(const std::string& request) {
    tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_.connect(acceptor.local_endpoint());
    asio::write(client_, asio::buffer(request));
    server_ = acceptor.accept();
    for (int i = 0; i < 500 && server_.available() < request.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(server_.available(), request.size());
    return answer_health_check(server_);
  }
  std::string answer() {
    std::string out;
    boost::system::error_code ec;
    asio::read(client_, asio::dynamic_buffer(out), ec);  // until the relay closes
    return out;
  }

  asio::io_context ioc_;
  tcp::socket client_{ioc_};
  tcp::socket server_{ioc_};
};

TEST_F(HealthCheckFastPath, AnswersAWellFormedRequest) {
  ASSERT_TRUE(check("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: lb\r\n\r\n"));
  const auto response = answer();
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("\r\n\r\n{\"ok\":true}"), std::string::npos) << response;
}

TEST_F(HealthCheckFastPath, LeavesMalformedRequestsToTheHttpSession) {
  for (const std::string request : {
           "GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",             // no colon
           "GET /healthz HTTP/1.1\r\n: empty-name\r\n\r\n",               // empty name
           "GET /healthz HTTP/1.1\r\nBad Name: x\r\n\r\n",                // space in the name
           "GET /healthz HTTP/1.1\r\nX: a\x01z\r\n\r\n",                  // control character in a value
           "GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",            // unknown version
           "GET /healthz\r\nHost: 127.0.0.1\r\n\r\n",                     // no version
           "GET /healthz HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",       // a body follows
       }) {
    SCOPED_TRACE(request);
    client_ = tcp::socket(ioc_);
    server_ = tcp::socket(ioc_);
    EXPECT_FALSE(check(request));
    EXPECT_EQ(server_.available(), request.size()) << "the fast path must read nothing it does not answer";
  }
}

}  // namespace
}  // namespace sshrelay::daemon
