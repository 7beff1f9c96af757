// A client and a server ResumeStream wired through an in-memory transport, driven at random until
// quiet, with the transport dropped at random points (in-flight messages lost, as on a dead socket).
// Whatever the seed, both byte streams must arrive exactly once, in order.
#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "core/wire/resume_stream.hpp"

namespace sshrelay {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::uint8_t pattern(std::uint64_t i, std::uint8_t salt) { return static_cast<std::uint8_t>((i * 131 + (i >> 9)) ^ salt); }

// One application endpoint: a source of bytes to send and a sink that checks what arrives.
struct Endpoint {
  ResumeStream stream;
  std::uint8_t out_salt;
  std::uint8_t in_salt;
  std::uint64_t to_send;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t undelivered = 0;  // received but delivered() not yet called
  bool corrupt = false;

  void send_some(std::mt19937& rng) {
    if (sent == to_send || !stream.can_send()) return;
    const auto n = std::min<std::uint64_t>(to_send - sent, std::uniform_int_distribution<std::uint64_t>(1, 40000)(rng));
    Bytes chunk(n);
    for (std::uint64_t i = 0; i < n; ++i) chunk[i] = pattern(sent + i, out_salt);
    ASSERT_TRUE(stream.send(chunk));
    sent += n;
  }

  void receive(const FrameBytes& message) {
    auto event = stream.receive(*message);
    ASSERT_TRUE(event) << event.error().message;
    if (auto* payload = std::get_if<PayloadReceived>(&*event)) {
      for (auto b : payload->bytes) corrupt |= b != pattern(received++, in_salt);
      undelivered += payload->bytes.size();
    }
  }

  void deliver_some(std::mt19937& rng) {
    if (undelivered == 0) return;
    const auto n = std::uniform_int_distribution<std::uint64_t>(1, undelivered)(rng);
    ASSERT_TRUE(stream.delivered(n));
    undelivered -= n;
  }
};

struct Outcome {
  bool done;
  int drops;
};

Outcome run_pair(unsigned seed, std::uint64_t up_bytes, std::uint64_t down_bytes, std::size_t cap) {
  std::mt19937 rng(seed);
  Endpoint client{ResumeStream(Role::client, cap), 0x11, 0x22, up_bytes};
  Endpoint server{ResumeStream(Role::server, cap), 0x22, 0x11, down_bytes};
  EXPECT_TRUE(server.stream.start_server("seed-" + std::to_string(seed)));
  std::deque<FrameBytes> to_server, to_client;
  bool connected = false;  // the client has seen CONNECT_SUCCESS, so it can resume
  int drops = 0;
  auto chance = [&rng](int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; };

  for (int step = 0; step < 200000; ++step) {
    const bool all_through = client.received == down_bytes && server.received == up_bytes &&
                             client.sent == up_bytes && server.sent == down_bytes;
    if (all_through && to_server.empty() && to_client.empty() && client.stream.flushed() &&
        server.stream.flushed() && client.undelivered == 0 && server.undelivered == 0) {
      return {true, drops};
    }
    switch (std::uniform_int_distribution<int>(0, 7)(rng)) {
      case 0: client.send_some(rng); break;
      case 1: server.send_some(rng); break;
      case 2: if (auto m = client.stream.next_message()) to_server.push_back(*m); break;
      case 3: if (auto m = server.stream.next_message()) to_client.push_back(*m); break;
      case 4:
        if (!to_server.empty()) { server.receive(to_server.front()); to_server.pop_front(); }
        break;
      case 5:
        if (!to_client.empty()) {
          client.receive(to_client.front());
          to_client.pop_front();
          connected = true;
        }
        break;
      case 6: client.deliver_some(rng); server.deliver_some(rng); break;
      case 7:
        if (connected && chance(3)) {  // the socket dies: whatever is in flight is lost
          ++drops;
          to_server.clear();
          to_client.clear();
          client.stream.detach();
          server.stream.detach();
          EXPECT_TRUE(client.stream.resume_client());
          auto resumed = server.stream.resume_server(client.stream.bytes_received());
          EXPECT_TRUE(resumed) << resumed.error().message;
        }
        break;
    }
    if (::testing::Test::HasFailure() || client.corrupt || server.corrupt) return {false, drops};
  }
  return {false, drops};
}

TEST(ResumePair, ThousandsOfSeedsWithRandomDropsDeliverExactlyOnceInOrder) {
  int total_drops = 0;
  for (unsigned seed = 0; seed < 2000; ++seed) {
    auto outcome = run_pair(seed, 60000, 90000, 32768);
    ASSERT_TRUE(outcome.done) << "seed " << seed << " did not complete cleanly";
    total_drops += outcome.drops;
  }
  EXPECT_GT(total_drops, 2000);  // the scenario really exercised resumption
}

TEST(ResumePair, LargeTransfersWithFrequentDrops) {
  for (unsigned seed = 0; seed < 20; ++seed) {
    auto outcome = run_pair(100000 + seed, 2 << 20, 3 << 20, 256 << 10);
    ASSERT_TRUE(outcome.done) << "seed " << 100000 + seed;
  }
}

}  // namespace
}  // namespace sshrelay
