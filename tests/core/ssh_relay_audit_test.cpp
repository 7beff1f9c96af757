// --audit-format ssh-relay: each event type against the Python relay's documented schema (its
// session.py/app.py emitters and docs/logging.md): the same names, in the same order, with its types
// and reason vocabulary.
#include "core/audit/ssh_relay_audit.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/audit/ssh_banner.hpp"
#include "core/session/server_output.hpp"
#include "core/wire/close_code.hpp"

namespace sshrelay {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr std::int64_t kTime = 1776526200123;  // 2026-04-18T15:30:00.123Z

AuditEvent session(AuditEventType type) {
  AuditEvent e;
  e.type = type;
  e.time_ms = kTime;
  e.event_id = "0123456789abcdef0123456789abcdef";
  e.sid = "8PHy8_T19vf4-fr7_P3-_w";
  e.principal = "alice@example.com";
  e.identity_provider = "cloudflare-access";
  e.identity_subject = "7a1b";
  e.identity_email = "alice@example.com";
  e.user_agent = "Mozilla/5.0 Chrome/120";
  e.source_ip = "203.0.113.7";
  e.source_port = 51234;
  e.target = "db.internal:22";
  e.target_user = "root";
  e.relay_source_port = 20001;
  return e;
}

std::vector<std::string> keys(const ordered_json& j) {
  std::vector<std::string> out;
  for (const auto& item : j.items()) out.push_back(item.key());
  return out;
}

TEST(SshRelayAudit, TimestampsAsPythonWritesThem) {
  EXPECT_EQ(ssh_relay_timestamp(kTime), "2026-04-18T15:30:00.123000+00:00");
  EXPECT_EQ(ssh_relay_timestamp(1776526200000), "2026-04-18T15:30:00+00:00");  // isoformat drops a zero fraction
}

TEST(SshRelayAudit, SessionStart) {
  AuditEvent e = session(AuditEventType::session_start);
  e.dial_ms = 12;
  const ordered_json j = to_ssh_relay_json(e);
  EXPECT_EQ(keys(j), (std::vector<std::string>{"event", "ts", "ts_unix", "session_id", "identity", "source_ip",
                                               "source_port", "user_agent", "target_host", "target_port",
                                               "target_username", "dial_seconds"}));
  EXPECT_EQ(j["event"], "session.start");
  EXPECT_EQ(j["ts"], "2026-04-18T15:30:00.123000+00:00");
  EXPECT_DOUBLE_EQ(j["ts_unix"].get<double>(), 1776526200.123);
  EXPECT_EQ(j["session_id"], e.sid);
  EXPECT_EQ(j["identity"], (ordered_json{{"provider", "cloudflare-access"}, {"sub", "7a1b"}, {"email", "alice@example.com"}}));
  EXPECT_EQ(j["source_ip"], "203.0.113.7");
  EXPECT_EQ(j["source_port"], 20001) << "its source_port is the relay's outbound port";
  EXPECT_EQ(j["user_agent"], "Mozilla/5.0 Chrome/120");
  EXPECT_EQ(j["target_host"], "db.internal");
  EXPECT_EQ(j["target_port"], 22);
  EXPECT_EQ(j["target_username"], "root");
  EXPECT_DOUBLE_EQ(j["dial_seconds"].get<double>(), 0.012);
}

TEST(SshRelayAudit, SessionReconnect) {
  AuditEvent e = session(AuditEventType::session_reconnect);
  e.resume_ack = 4096;
  e.reconnect_count = 1;
  const ordered_json j = to_ssh_relay_json(e);
  EXPECT_EQ(keys(j), (std::vector<std::string>{"event", "ts", "ts_unix", "session_id", "source_ip", "user_agent",
                                               "resume_ack", "reconnect_count"}));
  EXPECT_EQ(j["resume_ack"], 4096);
  EXPECT_EQ(j["reconnect_count"], 1);
}

TEST(SshRelayAudit, SessionCloseAndItsReasons) {
  AuditEvent e = session(AuditEventType::session_close);
  e.duration_ms = 61234;
  e.bytes_up = 100;
  e.bytes_down = 2000;
  e.reconnect_count = 1;
  e.client_banner = "SSH-2.0-OpenSSH_9.2p1";
  e.close_code = close_code::normal;
  e.close_reason = "target closed the connection";
  const ordered_json j = to_ssh_relay_json(e);
  EXPECT_EQ(keys(j), (std::vector<std::string>{"event", "ts", "ts_unix", "session_id", "reason", "error",
                                               "duration_seconds", "bytes_to_target", "bytes_from_target",
                                               "reconnect_count", "client_ssh_banner", "target_ssh_banner",
                                               "identity", "source_port", "target_host", "target_port"}));
  EXPECT_EQ(j["reason"], "closed");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_DOUBLE_EQ(j["duration_seconds"].get<double>(), 61.234);
  EXPECT_EQ(j["bytes_to_target"], 100);
  EXPECT_EQ(j["bytes_from_target"], 2000);
  EXPECT_EQ(j["client_ssh_banner"], "SSH-2.0-OpenSSH_9.2p1");
  EXPECT_TRUE(j["target_ssh_banner"].is_null()) << "null when no line was seen";

  e.close_reason = std::string(kGraceExpiredReason);
  EXPECT_EQ(to_ssh_relay_json(e)["reason"], "grace_expired");
  e.close_code = close_code::service_restart;
  e.close_reason = "relay is shutting down";
  EXPECT_EQ(to_ssh_relay_json(e)["reason"], "server_shutdown");
  e.close_code = close_code::internal_error;
  e.close_reason = "target connection lost: Connection reset by peer";
  e.error = e.close_reason;
  const ordered_json failed = to_ssh_relay_json(e);
  EXPECT_EQ(failed["reason"], "handler_error");
  EXPECT_EQ(failed["error"], "target connection lost: Connection reset by peer");
}

TEST(SshRelayAudit, DenialsUseItsEventNames) {
  AuditEvent capped = session(AuditEventType::policy_denied);
  capped.close_code = close_code::session_cap;
  capped.reason = "per-principal session cap";
  const ordered_json c = to_ssh_relay_json(capped);
  EXPECT_EQ(keys(c), (std::vector<std::string>{"event", "event_id", "ts", "identity", "source_ip", "target_host",
                                               "target_port", "reason"}));
  EXPECT_EQ(c["event"], "session_capped");
  EXPECT_EQ(c["reason"], "per_identity_session_cap");
  capped.reason = "relay session cap";
  EXPECT_EQ(to_ssh_relay_json(capped)["reason"], "global_session_cap");

  AuditEvent target = session(AuditEventType::policy_denied);
  target.close_code = close_code::denied;
  target.reason = "127.0.0.1 port 22 is loopback, denied by policy";
  EXPECT_EQ(to_ssh_relay_json(target)["event"], "target_denied");

  AuditEvent pool = session(AuditEventType::policy_denied);
  pool.close_code = close_code::port_pool_exhausted;
  const ordered_json p = to_ssh_relay_json(pool);
  EXPECT_EQ(p["event"], "port_pool_exhausted");
  EXPECT_EQ(keys(p), (std::vector<std::string>{"event", "event_id", "ts", "identity", "source_ip", "target_host",
                                               "target_port"}));
}

TEST(SshRelayAudit, CookieRequestsAreItsHandshake) {
  AuditEvent e;
  e.type = AuditEventType::cookie_request;
  e.time_ms = kTime;
  e.event_id = "0123456789abcdef0123456789abcdef";
  e.source_ip = "203.0.113.7";
  e.user_agent = "Mozilla/5.0 Chrome/120";
  e.extension_id = "iodihamcpbpeioajjeobimgagajmlibd";
  e.redirect_path = "html/nassh_google_relay.html";
  const ordered_json j = to_ssh_relay_json(e);
  EXPECT_EQ(keys(j), (std::vector<std::string>{"event", "event_id", "ts", "ts_epoch", "identity", "source_ip",
                                               "user_agent", "extension_id", "redirect_path"}));
  EXPECT_EQ(j["event"], "handshake");
  EXPECT_DOUBLE_EQ(j["ts_epoch"].get<double>(), 1776526200.123) << "it names the epoch ts_epoch here";
  EXPECT_TRUE(j["identity"].is_null());
  EXPECT_EQ(j["extension_id"], "iodihamcpbpeioajjeobimgagajmlibd");
  EXPECT_EQ(j["redirect_path"], "html/nassh_google_relay.html");
}

TEST(SshRelayAudit, AnonymousIsNullAndOurOwnEventsKeepTheirFields) {
  AuditEvent e = session(AuditEventType::auth_denied);
  e.identity_provider.clear();
  e.reason = "JWT expired";
  const ordered_json j = to_ssh_relay_json(e);
  EXPECT_EQ(j["event"], "auth.denied");
  EXPECT_TRUE(j["identity"].is_null());
  EXPECT_EQ(j["reason"], "JWT expired");
  EXPECT_EQ(j["event.action"], "auth.denied") << "ours follow, so nothing is lost";
  AuditEvent v6 = session(AuditEventType::session_start);
  v6.target = "[2001:db8::5]:2222";
  EXPECT_EQ(to_ssh_relay_json(v6)["target_host"], "2001:db8::5");
  EXPECT_EQ(to_ssh_relay_json(v6)["target_port"], 2222);
  EXPECT_EQ(to_json_line(v6, AuditFormat::ssh_relay).substr(0, 25), R"({"event":"session.start",)");
}

TEST(SshBanner, FirstLineOfEachDirection) {
  SshBannerCapture c;
  const std::string part1 = "SSH-2.0-OpenSSH_9.2p1 Deb";
  const std::string part2 = "ian-2\r\n\x00\x00\x01\x14";
  c.feed(std::span(reinterpret_cast<const std::uint8_t*>(part1.data()), part1.size()));
  EXPECT_FALSE(c.done());
  c.feed(std::span(reinterpret_cast<const std::uint8_t*>(part2.data()), part2.size()));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.line(), "SSH-2.0-OpenSSH_9.2p1 Debian-2");

  SshBannerCapture binary;  // 256 bytes without a line: nothing to report
  const std::vector<std::uint8_t> noise(300, 0x41);
  binary.feed(noise);
  EXPECT_TRUE(binary.done());
  EXPECT_EQ(binary.line(), "");

  SshBannerCapture odd;  // non-ASCII becomes U+FFFD; at most 128 characters
  std::string text = "SSH-2.0-\xff";
  text += std::string(200, 'x') + "\n";
  odd.feed(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  EXPECT_EQ(odd.line().substr(0, 11), "SSH-2.0-\xEF\xBF\xBD");
  EXPECT_EQ(odd.line().size(), 127u + 3u);
}

}  // namespace
}  // namespace sshrelay
