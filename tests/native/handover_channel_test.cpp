// The handover's messages (native/daemon/cluster/handover.hpp) over a real Unix socket pair: the JSON,
// the blob and the descriptors arrive intact, a descriptor stays usable on the other side, and a peer that
// hangs up or sends garbage is an error naming what happened.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <thread>

#include "native/daemon/cluster/handover.hpp"

namespace sshrelay::daemon {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0); }
  ~SocketPair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  std::array<int, 2> fds{-1, -1};
};

TEST(HandoverChannel, CarriesJsonBlobAndDescriptors) {
  SocketPair channel;
  SocketPair passed;  // one end travels; the test writes into the other
  std::vector<std::uint8_t> blob(3 << 20);
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::uint8_t>(i * 7);
  std::thread sender([&] {
    HandoverMessage message{{{"session", {{"sid", "S"}}}}, blob, {passed.fds[1]}};
    EXPECT_TRUE(send_handover_message(channel.fds[0], message, 10s));
  });
  auto received = receive_handover_message(channel.fds[1], 10s);
  sender.join();
  ASSERT_TRUE(received) << received.error().message;
  EXPECT_EQ(received->header["session"]["sid"], "S");
  EXPECT_EQ(received->blob, blob);
  ASSERT_EQ(received->fds.size(), 1u);
  // The descriptor is a working copy of the socket.
  ASSERT_EQ(::write(passed.fds[0], "ping", 4), 4);
  std::array<char, 4> got{};
  ASSERT_EQ(::read(received->fds[0], got.data(), got.size()), 4);
  EXPECT_EQ(std::string(got.data(), 4), "ping");
  ::close(received->fds[0]);
}

TEST(HandoverChannel, HangUpAndGarbageAreErrors) {
  {
    SocketPair channel;
    ::close(channel.fds[0]);
    channel.fds[0] = -1;
    auto received = receive_handover_message(channel.fds[1], 5s);
    ASSERT_FALSE(received);
    EXPECT_NE(received.error().message.find("closed"), std::string::npos) << received.error().message;
  }
  {
    SocketPair channel;
    const std::array<std::uint8_t, 12> garbage{0, 0, 0, 4, 0, 0, 0, 0, 'n', 'o', 'p', 'e'};
    ASSERT_EQ(::write(channel.fds[0], garbage.data(), garbage.size()), 12);
    auto received = receive_handover_message(channel.fds[1], 5s);
    ASSERT_FALSE(received);
    EXPECT_NE(received.error().message.find("JSON"), std::string::npos) << received.error().message;
  }
  {
    SocketPair channel;  // nobody speaks: bounded
    auto received = receive_handover_message(channel.fds[1], 200ms);
    ASSERT_FALSE(received);
    EXPECT_NE(received.error().message.find("in time"), std::string::npos) << received.error().message;
  }
}

}  // namespace
}  // namespace sshrelay::daemon
