// Issue #10's findings, each as an attacker would try it against the real sshrelayd (the ASan build in
// `make test`): a forged ACK after a resume (F1, a heap use-after-free before the fix), reconnects that
// must be refused without harming the live socket (F2, F4), IPv6 forms that carry a loopback address
// (F3), DNS rebinding (F5), close reasons that are not UTF-8 (F6) and malformed or oversized HTTP (F7).
#include <gtest/gtest.h>

#include <boost/asio/write.hpp>

#include "core/wire/v4_frame.hpp"
#include "core/wire/v4_url.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_wire.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;


// Every byte of `text` is part of a well-formed UTF-8 sequence (written here independently of core).
bool is_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > text.size()) return false;
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

// A target that writes `bytes` and then stays open until the relay closes its side (unlike
// TcpTarget::push, no EOF: the session must stay alive for a reconnect).
TcpTarget::Session push_and_hold(std::shared_ptr<const std::vector<std::uint8_t>> bytes) {
  return [bytes](tcp::socket& socket) {
    error_code ec;
    asio::write(socket, asio::buffer(*bytes), ec);
    std::uint8_t sink[4096];
    for (int reads = 0; reads < 100000 && !ec; ++reads) socket.read_some(asio::buffer(sink), ec);
  };
}

class SecurityFindingsTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--unsafe-allow-loopback", "--audit-jsonl", audit_path(), "--audit-jsonl-fsync=no"});
    relay_.start(relayd_path(), std::move(extra));
  }
  std::string audit_path() const { return (dir_.path() / "audit.jsonl").string(); }
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }
  std::string connect_to(std::uint16_t port) const {
    return v4::connect_request_target("", "127.0.0.1", port, "tester");
  }
  // Opens a v4 session over a raw wire and returns its sid.
  std::string open_session(RawV4Wire& wire) {
    auto first = wire.next_message();
    if (!first) return {};
    auto frame = v4::decode_message(*first);
    if (!frame || !std::holds_alternative<v4::ConnectSuccess>(*frame)) return {};
    return std::get<v4::ConnectSuccess>(*frame).session_id;
  }
  // Reads DATA until `want` payload bytes arrived (ACKs skipped); returns how many did.
  static std::uint64_t read_data(RawV4Wire& wire, std::uint64_t want) {
    std::uint64_t got = 0;
    while (got < want) {
      auto message = wire.next_message();
      if (!message) break;
      auto frame = v4::decode_message(*message);
      if (frame && std::holds_alternative<v4::Data>(*frame)) got += std::get<v4::Data>(*frame).payload.size();
    }
    return got;
  }
  // One echo round trip on an attached session.
  static bool echoes(RawV4Wire& wire, const std::string& text) {
    if (!wire.send(v4::encode(v4::Data{bytes_of(text)}))) return false;
    std::string got;
    for (int i = 0; i < 100 && got.size() < text.size(); ++i) {
      auto message = wire.next_message();
      if (!message) return false;
      auto frame = v4::decode_message(*message);
      if (frame && std::holds_alternative<v4::Data>(*frame)) {
        const auto payload = std::get<v4::Data>(*frame).payload;
        got.append(payload.begin(), payload.end());
      }
    }
    return got == text;
  }
  bool relay_alive() {
    try {
      return http_get(relay_.port(), "/healthz").status == 200 && relay_.running();
    } catch (const std::exception&) {
      return false;
    }
  }

  testing::TempDir dir_;
  RelayDaemon relay_;
};

// F1: after a resume from ack 0, an ACK for bytes the relay has not re-sent freed replay entries the
// write cursor still pointed at; the next write read freed heap memory (an ASan abort, or other
// sessions' bytes sent as DATA by a release build).
TEST_F(SecurityFindingsTest, F1_ForgedAckAboveWhatWasResentIsRefusedAndReadsNothingFreed) {
  start_relay({"--max-replay-buffer", "16MiB"});
  const auto pattern = std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(8 * kMiB, 1));
  TcpTarget target(push_and_hold(pattern));
  std::string sid;
  {
    RawV4Wire first(relay_.port(), upgrade_request(relay_.port(), connect_to(target.port())));
    sid = open_session(first);
    ASSERT_FALSE(sid.empty()) << log();
    ASSERT_EQ(read_data(first, 8 * kMiB), 8 * kMiB) << log();  // read everything, ACK nothing
    first.connection().reset();
  }
  ASSERT_TRUE(wait_until([&] { return relay_.log_text().find("detached") != std::string::npos; }, 20s)) << log();

  // A 4 KiB receive window keeps the relay from re-sending more than a little of the 8 MiB.
  RawV4Wire attacker(relay_.port(), upgrade_request(relay_.port(), v4::reconnect_request_target("", sid, 0)), 4096);
  ASSERT_TRUE(attacker.send(v4::encode(v4::Ack{8 * kMiB})));
  // The relay must refuse the ACK and close; re-sent DATA before the close frame is read and dropped.
  for (int i = 0; i < 10000 && attacker.next_message(20s); ++i) {
  }
  const auto& close = attacker.close_frame();
  ASSERT_TRUE(close.has_value()) << "the relay did not close the forged session" << log();
  EXPECT_EQ(close->close_code(), 1002) << close->close_reason();
  EXPECT_NE(close->close_reason().find("exceeds"), std::string::npos) << close->close_reason();
  EXPECT_TRUE(relay_alive()) << log();
  EXPECT_EQ(relay_.log_text().find("AddressSanitizer"), std::string::npos) << log();
}

// F2: a reconnect whose ack is beyond what was sent, or below what was acknowledged, evicted the live
// socket first and was refused after. It must be refused with the live socket untouched.
TEST_F(SecurityFindingsTest, F2_RefusedReconnectLeavesTheLiveSocketAttached) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  RawV4Wire live(relay_.port(), upgrade_request(relay_.port(), connect_to(echo.port())));
  const auto sid = open_session(live);
  ASSERT_FALSE(sid.empty()) << log();
  ASSERT_TRUE(echoes(live, "0123456789")) << log();  // the relay has sent 10 bytes
  ASSERT_TRUE(live.send(v4::encode(v4::Ack{4})));

  for (const std::uint64_t bad_ack : {11ull, 3ull, 1000000ull}) {
    RawV4Wire refused(relay_.port(), upgrade_request(relay_.port(), v4::reconnect_request_target("", sid, bad_ack)));
    EXPECT_FALSE(refused.next_message()) << "ack " << bad_ack;
    ASSERT_TRUE(refused.close_frame()) << "ack " << bad_ack << log();
    EXPECT_EQ(refused.close_frame()->close_code(), 4404);
    EXPECT_NE(refused.close_frame()->close_reason().find("cannot resume"), std::string::npos);
    EXPECT_TRUE(echoes(live, "still-" + std::to_string(bad_ack))) << "the live socket was harmed" << log();
  }
  std::vector<nlohmann::json> refusals;
  ASSERT_TRUE(wait_until([&] {
    refusals = read_audit_events(audit_path(), "policy.denied");
    return refusals.size() >= 3;
  }, 15s)) << log();
  EXPECT_NE(refusals[0].dump().find("reconnect refused"), std::string::npos) << refusals[0].dump();
  EXPECT_EQ(relay_.log_text().find("evicts"), std::string::npos) << log();
}

// F3: IPv6 forms that carry a loopback or metadata IPv4 address were judged as public addresses.
TEST_F(SecurityFindingsTest, F3_Ipv6FormsCarryingInternalIpv4AreDenied) {
  relay_.start(relayd_path(), {});  // default policy: loopback and link-local denied
  for (const char* host : {"[::ffff:0:127.0.0.1]", "[2002:7f00:1::]", "[2002:a9fe:a9fe::]",
                           "[2001:0:0808:0808:0:0:80ff:fffe]", "[64:ff9b:1::7f00:1]"}) {
    RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), v4::connect_request_target("", host, 22, "x")));
    EXPECT_FALSE(wire.next_message()) << host;
    ASSERT_TRUE(wire.close_frame()) << host << log();
    EXPECT_EQ(wire.close_frame()->close_code(), 4403) << host << ": " << wire.close_frame()->close_reason();
  }
}

// F4: ack=2^64 parsed as 0, so the reconnect resumed from the start (evicting the live socket).
TEST_F(SecurityFindingsTest, F4_AckOf2To64IsRefusedNotWrapped) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  RawV4Wire live(relay_.port(), upgrade_request(relay_.port(), connect_to(echo.port())));
  const auto sid = open_session(live);
  ASSERT_FALSE(sid.empty()) << log();
  const std::string target = "/v4/reconnect?sid=" + sid + "&ack=18446744073709551616";
  RawV4Wire refused(relay_.port(), upgrade_request(relay_.port(), target));
  EXPECT_FALSE(refused.next_message());
  ASSERT_TRUE(refused.close_frame()) << log();
  EXPECT_EQ(refused.close_frame()->close_code(), 1002);
  EXPECT_NE(refused.close_frame()->close_reason().find("2^64"), std::string::npos)
      << refused.close_frame()->close_reason();
  EXPECT_TRUE(echoes(live, "not evicted")) << log();
  // A repeated parameter is refused too: a proxy and the relay could each read a different one.
  RawV4Wire twice(relay_.port(), upgrade_request(relay_.port(), "/v4/reconnect?sid=" + sid + "&ack=0&ack=5"));
  EXPECT_FALSE(twice.next_message());
  ASSERT_TRUE(twice.close_frame());
  EXPECT_EQ(twice.close_frame()->close_code(), 1002);
  EXPECT_TRUE(echoes(live, "still attached")) << log();
}

// F5: a page on a name the attacker controls, rebound to 127.0.0.1, sends matching Origin and Host.
TEST_F(SecurityFindingsTest, F5_DnsRebindingPageGetsNoSession) {
  start_relay({"--dev", "--public-host", "relay.test", "--allowed-origins", ""});
  TcpTarget echo(TcpTarget::echo());
  const std::string p = std::to_string(relay_.port());
  {  // the rebinding page: its Host is its own name
    RawConnection c(relay_.port());
    ASSERT_TRUE(c.send(upgrade_request(relay_.port(), connect_to(echo.port()),
                                       {"Host: rebind.example:" + p, "Origin: http://rebind.example:" + p})));
    auto response = c.read_http_response();
    ASSERT_TRUE(response) << log();
    EXPECT_EQ(response->status, 421u) << response->body;
    EXPECT_NE(response->body.find("--allowed-hosts"), std::string::npos) << response->body;
  }
  {  // the same page reading /statz or the web client is refused too; a health check is not
    RawConnection c(relay_.port());
    ASSERT_TRUE(c.send(get_request(relay_.port(), "/statz", {"Host: rebind.example:" + p})));
    EXPECT_EQ(c.read_http_response()->status, 421u);
    RawConnection h(relay_.port());
    ASSERT_TRUE(h.send(get_request(relay_.port(), "/healthz", {"Host: 10.0.0.7:" + p})));
    EXPECT_EQ(h.read_http_response()->status, 200u);
  }
  auto attempt = [&](const std::vector<std::string>& headers) {
    RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), connect_to(echo.port()), headers));
    auto first = wire.next_message();
    if (first) return std::string("session");
    return wire.close_frame() ? std::to_string(wire.close_frame()->close_code()) : std::string("nothing");
  };
  // A hostile page on another origin, even with the relay's address in Host.
  EXPECT_EQ(attempt({"Origin: http://rebind.example:" + p}), "4403");
  // The relay's own pages: by address, by localhost, by its public name (also through a proxy that
  // rewrites Host to the relay's address).
  EXPECT_EQ(attempt({"Origin: http://127.0.0.1:" + p}), "session");
  EXPECT_EQ(attempt({"Host: localhost:" + p, "Origin: http://localhost:" + p}), "session");
  EXPECT_EQ(attempt({"Host: relay.test:" + p, "Origin: http://relay.test:" + p}), "session");
  EXPECT_EQ(attempt({"Origin: https://relay.test"}), "session");  // the public name on 443, its default
  EXPECT_EQ(attempt({"Origin: https://relay.test:" + p}), "4403") << "not where browsers are told to go";
  // No Origin: not a browser (allowed unless --require-origin, see the next test).
  EXPECT_EQ(attempt({}), "session");
}

TEST_F(SecurityFindingsTest, F5_RequireOriginRefusesRequestsWithoutOne) {
  start_relay({"--require-origin"});
  TcpTarget echo(TcpTarget::echo());
  RawV4Wire without(relay_.port(), upgrade_request(relay_.port(), connect_to(echo.port())));
  EXPECT_FALSE(without.next_message());
  ASSERT_TRUE(without.close_frame()) << log();
  EXPECT_EQ(without.close_frame()->close_code(), 4403);
  RawV4Wire with(relay_.port(), upgrade_request(relay_.port(), connect_to(echo.port()),
                                                 {"Origin: http://127.0.0.1:" + std::to_string(relay_.port())}));
  EXPECT_TRUE(with.next_message()) << log();
}

// F6: the close reason echoes the Origin; bytes that are not UTF-8, or a cut inside a character, made
// browsers drop the whole reason.
TEST_F(SecurityFindingsTest, F6_CloseReasonsAreValidUtf8) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  std::string long_origin = "http://";
  for (int i = 0; i < 60; ++i) long_origin += "\xc3\xa9";  // "é" x 60: the cut falls inside one
  for (const std::string& origin : {std::string("http://\xff\xfe.example"), long_origin}) {
    RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), connect_to(echo.port()), {"Origin: " + origin}));
    EXPECT_FALSE(wire.next_message());
    ASSERT_TRUE(wire.close_frame()) << log();
    EXPECT_EQ(wire.close_frame()->close_code(), 4403);
    const auto reason = wire.close_frame()->close_reason();
    EXPECT_TRUE(is_utf8(reason)) << reason;
    EXPECT_LE(reason.size(), 123u);
    EXPECT_EQ(reason.rfind("origin http://", 0), 0u) << reason;
  }
}

// F7: a malformed Sec-WebSocket-Key got 101; oversized requests got a TCP reset instead of an answer.
TEST_F(SecurityFindingsTest, F7_MalformedWebSocketKeysAreRefused) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  const std::vector<std::vector<std::string>> bad_keys = {
      {"Sec-WebSocket-Key: abc"},
      {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="},
      {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ"},
      {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR=="},  // 16 bytes + stray bits
      {"Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!=="},
  };
  for (const auto& headers : bad_keys) {
    RawConnection c(relay_.port());
    ASSERT_TRUE(c.send(upgrade_request(relay_.port(), connect_to(echo.port()), headers)));
    auto response = c.read_http_response();
    ASSERT_TRUE(response) << headers.front() << log();
    EXPECT_EQ(response->status, 400u) << headers.front();
    EXPECT_NE(response->body.find("Sec-WebSocket-Key"), std::string::npos) << response->body;
  }
  EXPECT_EQ(echo.accepted(), 0u);
}

TEST_F(SecurityFindingsTest, F7_OversizedRequestsGetAnAnswerNotAReset) {
  start_relay();
  {
    RawConnection c(relay_.port());
    ASSERT_TRUE(c.send(get_request(relay_.port(), "/healthz", {"X-Padding: " + std::string(16 * 1024, 'a')})));
    auto response = c.read_http_response();
    ASSERT_TRUE(response) << "connection ended without an answer: " << static_cast<int>(c.last_end()) << log();
    EXPECT_EQ(response->status, 431u);
  }
  {
    RawConnection c(relay_.port());
    ASSERT_TRUE(c.send("GET /" + std::string(20 * 1024, 'x') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    auto response = c.read_http_response();
    ASSERT_TRUE(response) << log();
    EXPECT_EQ(response->status, 431u);
  }
  {
    RawConnection c(relay_.port());
    ASSERT_TRUE(c.send("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n" +
                       std::string(64 * 1024, 'b')));
    auto response = c.read_http_response();
    ASSERT_TRUE(response) << log();
    EXPECT_EQ(response->status, 413u);
  }
  {
    RawConnection c(relay_.port());
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"));  // no colon
    auto response = c.read_http_response();
    ASSERT_TRUE(response) << log();
    EXPECT_EQ(response->status, 400u);
  }
  EXPECT_TRUE(relay_alive()) << log();
}

}  // namespace
}  // namespace sshrelay::itest
