// One tunnel's rules in virtual time (core/tunnel/tunnel_channel.hpp) and the registry of all tunnels
// (subdomains, the raw port pool, the shared caps).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tunnel/tunnel_channel.hpp"
#include "core/tunnel/tunnel_frame.hpp"
#include "core/tunnel/tunnel_registry.hpp"
#include "tests/core/virtual_time.hpp"

namespace sshrelay::tunnel {
namespace {

using namespace std::chrono_literals;

using testing::t0;

std::vector<std::uint8_t> rnd(std::uint8_t seed, std::size_t n = kRandomBytesPerId) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(seed + i));
  return out;
}

nlohmann::json next_json(TunnelChannel& c) {
  auto m = c.next_message();
  if (!m || m->binary) return nullptr;
  return nlohmann::json::parse(std::string(m->bytes.begin(), m->bytes.end()));
}

std::vector<ChannelEvent> drain(TunnelChannel& c) {
  std::vector<ChannelEvent> out;
  while (auto e = c.next_event()) out.push_back(std::move(*e));
  return out;
}

TEST(TunnelChannel, CarriesARequestAndItsAnswer) {
  TunnelChannel c;
  const auto id = c.start_request(t0, "POST", "/a?b", {{"Content-Type", "x/y"}}, "body", rnd(0xa0));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "a0a1a2a3a4a5");
  const auto sent = next_json(c);
  EXPECT_EQ(sent["type"], "http_request");
  EXPECT_EQ(sent["id"], *id);
  EXPECT_EQ(sent["body"], "Ym9keQ==");
  EXPECT_EQ(c.next_deadline(), t0 + 60s);

  c.on_text(R"({"type":"http_response","id":")" + *id +
            R"(","status":200,"headers":{"Content-Type":"text/plain","Set-Cookie":"x=1"},"body":"aGVsbG8=","bodyEncoding":"base64"})");
  const auto events = drain(c);
  ASSERT_EQ(events.size(), 1u);
  const auto& answer = std::get<HttpAnswer>(events[0]);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "hello");
  EXPECT_EQ(answer.headers, (HeaderList{{"Content-Type", "text/plain"}}));
  EXPECT_FALSE(c.next_deadline());
  // A second answer to the same id is dropped.
  c.on_text(R"({"type":"http_response","id":")" + *id + R"(","status":500})");
  EXPECT_TRUE(drain(c).empty());
}

TEST(TunnelChannel, AnswersBadResponsesWith502AndSilenceWith504) {
  TunnelChannel c;
  const auto bad_status = *c.start_request(t0, "GET", "/", {}, "", rnd(1));
  const auto bad_body = *c.start_request(t0, "GET", "/", {}, "", rnd(2));
  const auto bad_encoding = *c.start_request(t0, "GET", "/", {}, "", rnd(3));
  const auto silent = *c.start_request(t0 + 1s, "GET", "/", {}, "", rnd(4));
  c.on_text(R"({"type":"http_response","id":")" + bad_status + R"(","status":1000})");
  c.on_text(R"({"type":"http_response","id":")" + bad_body + R"(","status":200,"body":"!!","bodyEncoding":"base64"})");
  c.on_text(R"({"type":"http_response","id":")" + bad_encoding + R"(","status":200,"body":"x","bodyEncoding":"gzip"})");
  auto events = drain(c);
  ASSERT_EQ(events.size(), 3u);
  for (const auto& e : events) EXPECT_EQ(std::get<HttpAnswer>(e).status, 502);
  EXPECT_NE(std::get<HttpAnswer>(events[0]).body.find("invalid status 1000"), std::string::npos);
  EXPECT_EQ(c.next_deadline(), t0 + 61s);
  c.on_timeout(t0 + 60s);
  EXPECT_TRUE(drain(c).empty());
  c.on_timeout(t0 + 61s);
  events = drain(c);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<HttpAnswer>(events[0]).id, silent);
  EXPECT_EQ(std::get<HttpAnswer>(events[0]).status, 504);
  EXPECT_EQ(std::get<HttpAnswer>(events[0]).body, "tunnel response timeout\n");
}

TEST(TunnelChannel, BodyOverTheLimitIs502) {
  TunnelChannel c(ChannelLimits{60s, 100, 4});
  const auto id = *c.start_request(t0, "GET", "/", {}, "", rnd(1));
  c.on_text(R"({"type":"http_response","id":")" + id + R"(","status":200,"body":"12345"})");
  EXPECT_EQ(std::get<HttpAnswer>(*c.next_event()).status, 502);
}

TEST(TunnelChannel, CarriesConnectionsBothWaysAndEndsThemOnce) {
  TunnelChannel c(ChannelLimits{60s, 2, 1024});
  const auto a = c.open_connection(rnd(0x10));
  const auto b = c.open_connection(rnd(0x20));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(c.open_connection(rnd(0x30))) << "at the per-tunnel cap: no tcp_open, the socket is closed";
  EXPECT_EQ(next_json(c), (nlohmann::json{{"type", "tcp_open"}, {"connId", *a}}));
  EXPECT_EQ(next_json(c)["connId"], *b);
  EXPECT_FALSE(c.next_message());

  const std::vector<std::uint8_t> hi = {'h', 'i'};
  c.connection_data(*a, hi);
  auto frame = c.next_message();
  ASSERT_TRUE(frame && frame->binary);
  EXPECT_EQ(frame->bytes, encode_frame(*a, hi));

  c.on_binary(encode_frame(*b, hi));
  c.on_binary(encode_frame(*b, {}));              // empty payload: dropped
  c.on_binary(encode_frame("ffffffffffff", hi));  // unknown id: dropped
  auto events = drain(c);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<ConnectionData>(events[0]).conn_id, *b);

  c.on_text(R"({"type":"tcp_close","connId":")" + *b + R"("})");
  events = drain(c);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<CloseConnection>(events[0]).conn_id, *b);
  c.connection_closed(*b);  // the socket's own end after the client's: nothing more is said
  EXPECT_FALSE(c.next_message());
  c.connection_closed(*a);
  EXPECT_EQ(next_json(c), (nlohmann::json{{"type", "tcp_close"}, {"connId", *a}}));
  EXPECT_EQ(c.open_connections(), 0u);
  EXPECT_TRUE(c.open_connection(rnd(0x40))) << "a slot is free again";
}

TEST(TunnelChannel, EndingAnswersEveryWaitingRequestAndClosesEveryConnection) {
  TunnelChannel c;
  const auto r = *c.start_request(t0, "GET", "/", {}, "", rnd(1));
  const auto k = *c.open_connection(rnd(2));
  c.on_ended();
  auto events = drain(c);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<HttpAnswer>(events[0]).id, r);
  EXPECT_EQ(std::get<HttpAnswer>(events[0]).status, 502);
  EXPECT_EQ(std::get<HttpAnswer>(events[0]).body, "tunnel disconnected\n");
  EXPECT_EQ(std::get<CloseConnection>(events[1]).conn_id, k);
  EXPECT_FALSE(c.start_request(t0, "GET", "/", {}, "", rnd(3)));
  EXPECT_FALSE(c.open_connection(rnd(4)));
}

TEST(TunnelChannel, RefusesARepeatedIdInsteadOfMixingAnswers) {
  TunnelChannel c;
  ASSERT_TRUE(c.start_request(t0, "GET", "/", {}, "", rnd(7)));
  EXPECT_FALSE(c.start_request(t0, "GET", "/", {}, "", rnd(7)));
  EXPECT_FALSE(c.open_connection(rnd(7)));
  EXPECT_FALSE(c.start_request(t0, "GET", "/", {}, "", rnd(7, 5))) << "too few random bytes";
}

TEST(TunnelRegistry, HandsOutSubdomainsAndTheLowestFreePort) {
  TunnelRegistry r(RegistryLimits{10000, 10002, 2, 3, 10});
  const auto a = r.add(rnd(0x01, 8));
  const auto b = r.add(rnd(0x11, 8));
  const auto c = r.add(rnd(0x21, 8));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->subdomain, "0102030405060708");
  EXPECT_EQ(a->raw_port, 10000);
  EXPECT_EQ(b->raw_port, 10001);
  EXPECT_EQ(c->raw_port, 0) << "the pool is [10000, 10002)";
  EXPECT_EQ(r.find("0102030405060708"), a->key);
  EXPECT_FALSE(r.find("ffffffffffffffff"));
  const auto again = r.add(rnd(0x01, 8));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("taken"), std::string::npos);
  r.remove(a->key);
  EXPECT_FALSE(r.find("0102030405060708"));
  const auto d = r.add(rnd(0x31, 8));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->raw_port, 10000) << "a released port is reused";
}

TEST(TunnelRegistry, CapsTunnelsRequestsPerAddressAndConnections) {
  TunnelRegistry r(RegistryLimits{0, 0, 2, 2, 1});
  const auto a = r.add(rnd(1, 8));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->raw_port, 0) << "no pool";
  const auto full = r.add(rnd(9, 8));
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message.find("maximum of 1 tunnels"), std::string::npos);

  EXPECT_TRUE(r.begin_http("192.0.2.1"));
  EXPECT_TRUE(r.begin_http("192.0.2.1"));
  EXPECT_FALSE(r.begin_http("192.0.2.1"));
  EXPECT_TRUE(r.begin_http("192.0.2.2")) << "per address";
  r.end_http("192.0.2.1");
  EXPECT_TRUE(r.begin_http("192.0.2.1"));

  EXPECT_TRUE(r.begin_tcp());
  EXPECT_TRUE(r.begin_tcp());
  EXPECT_FALSE(r.begin_tcp());
  r.end_tcp();
  EXPECT_TRUE(r.begin_tcp());
  EXPECT_EQ(r.tcp_connections(), 2u);
}

}  // namespace
}  // namespace sshrelay::tunnel
