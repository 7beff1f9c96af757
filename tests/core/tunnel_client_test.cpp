// The client's side of a tunnel (core/tunnel/tunnel_client.hpp), spoken with the relay's own machine
// (TunnelChannel) so the two agree: opens, bytes both ways, ends from either side, what is ignored.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "core/tunnel/tunnel_channel.hpp"
#include "core/tunnel/tunnel_client.hpp"
#include "core/tunnel/tunnel_frame.hpp"
#include "tests/core/test_text.hpp"

namespace sshrelay::tunnel {
namespace {

using testing::bytes;

// Every message of one side delivered to the other.
void relay_to_client(TunnelChannel& relay, TunnelClient& client) {
  while (auto m = relay.next_message()) {
    if (m->binary) {
      client.on_binary(m->bytes);
    } else {
      client.on_text(std::string_view(reinterpret_cast<const char*>(m->bytes.data()), m->bytes.size()));
    }
  }
}
void client_to_relay(TunnelClient& client, TunnelChannel& relay) {
  while (auto m = client.next_message()) {
    if (m->binary) {
      relay.on_binary(m->bytes);
    } else {
      relay.on_text(std::string_view(reinterpret_cast<const char*>(m->bytes.data()), m->bytes.size()));
    }
  }
}

TEST(TunnelClient, ReadyThenAConnectionBothWaysAndItsEnd) {
  TunnelClient client;
  client.on_text(to_json(TunnelReady{"https://0123456789abcdef.t.example.com", 10001, true}));
  auto ready = client.next_event();
  ASSERT_TRUE(ready && std::holds_alternative<TunnelReady>(*ready));
  EXPECT_TRUE(std::get<TunnelReady>(*ready).streams);
  ASSERT_TRUE(client.ready());
  EXPECT_EQ(client.ready()->raw_port, 10001);

  TunnelChannel relay;
  const std::array<std::uint8_t, kRandomBytesPerId> random{1, 2, 3, 4, 5, 6};
  const auto id = relay.open_connection(random);
  ASSERT_TRUE(id);
  relay.connection_data(*id, bytes("GET / HTTP/1.1\r\n\r\n"));
  relay_to_client(relay, client);
  auto open = client.next_event();
  ASSERT_TRUE(open && std::holds_alternative<OpenConnection>(*open));
  EXPECT_EQ(std::get<OpenConnection>(*open).conn_id, *id);
  auto data = client.next_event();
  ASSERT_TRUE(data && std::holds_alternative<ConnectionData>(*data));
  EXPECT_EQ(std::get<ConnectionData>(*data).bytes, bytes("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(client.connections_opened(), 1u);

  client.send(*id, bytes("HTTP/1.1 200 OK\r\n\r\n"));
  client.send(*id, {});  // nothing: empty frames are dropped by the relay anyway
  client.closed(*id);
  client.closed(*id);  // once
  client.send(*id, bytes("late"));
  client_to_relay(client, relay);
  auto answer = relay.next_event();
  ASSERT_TRUE(answer && std::holds_alternative<ConnectionData>(*answer));
  EXPECT_EQ(std::get<ConnectionData>(*answer).bytes, bytes("HTTP/1.1 200 OK\r\n\r\n"));
  auto closed = relay.next_event();
  ASSERT_TRUE(closed && std::holds_alternative<CloseConnection>(*closed));
  EXPECT_FALSE(relay.next_event());
  EXPECT_EQ(client.open_connections(), 0u);
  EXPECT_EQ(client.bytes_out(), 19u);
}

TEST(TunnelClient, TheRelaysCloseEndsItAndWhatIsUnknownIsIgnored) {
  TunnelClient client;
  client.on_text(R"({"type":"tcp_open","connId":"0123456789ab"})");
  ASSERT_TRUE(client.next_event());
  client.on_text(R"({"type":"tcp_open","connId":"0123456789ab"})");  // twice: one connection
  client.on_text(R"({"type":"tcp_open","connId":"XYZ"})");           // not an id
  client.on_text("not json");
  client.on_binary(encode_frame("ba9876543210", bytes("for nobody")));
  client.on_binary(std::vector<std::uint8_t>{0, 0, 0, 99, 'x'});
  EXPECT_FALSE(client.next_event());
  client.on_text(R"({"type":"tcp_close","connId":"0123456789ab"})");
  auto closed = client.next_event();
  ASSERT_TRUE(closed && std::holds_alternative<CloseConnection>(*closed));
  client.closed("0123456789ab");  // the relay closed it first: no tcp_close back
  EXPECT_FALSE(client.next_message());
}

TEST(TunnelClient, RequestsWithoutStreamsAreAnswered) {
  TunnelChannel relay;
  const std::array<std::uint8_t, kRandomBytesPerId> random{9, 9, 9, 9, 9, 9};
  const auto id = relay.start_request(TimePoint{}, "GET", "/x", {{"Accept", "*/*"}}, "", random);
  ASSERT_TRUE(id);
  TunnelClient client;
  relay_to_client(relay, client);
  auto request = client.next_event();
  ASSERT_TRUE(request && std::holds_alternative<HttpRequest>(*request));
  EXPECT_EQ(std::get<HttpRequest>(*request).path, "/x");
  client.answer(HttpResponse{*id, 200, {{"Content-Type", "text/plain"}}, "ok", ""});
  client_to_relay(client, relay);
  auto answer = relay.next_event();
  ASSERT_TRUE(answer && std::holds_alternative<HttpAnswer>(*answer));
  EXPECT_EQ(std::get<HttpAnswer>(*answer).status, 200);
  EXPECT_EQ(std::get<HttpAnswer>(*answer).body, "ok");
  EXPECT_EQ(client.requests(), 1u);
}

}  // namespace
}  // namespace sshrelay::tunnel
