#include "core/audit/audit_event.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sshrelay {
namespace {

using nlohmann::json;

// 2024-05-01T12:34:56.789Z
constexpr std::int64_t kMay1st = 1714566896789;

AuditEvent full_close() {
  AuditEvent e;
  e.type = AuditEventType::session_close;
  e.time_ms = kMay1st;
  e.principal = "alice@example.com";
  e.source_ip = "203.0.113.7";
  e.source_port = 51234;
  e.target = "db.internal:22";
  e.target_user = "root";
  e.resolved_ip = "10.0.0.5";
  e.resolved_port = 22;
  e.relay_ip = "10.0.0.2";
  e.relay_source_port = 40001;
  e.sid = "8PHy8_T19vf4-fr7_P3-_w";
  e.bytes_up = 1234;
  e.bytes_down = 567890;
  e.duration_ms = 61000;
  e.close_code = 1000;
  e.close_reason = "grace period expired";
  e.path = "/v4/connect?host=db.internal&port=22&dstUsername=root";
  e.event_id = "0123456789abcdef0123456789abcdef";
  e.identity_provider = "cloudflare-access";
  e.identity_subject = "7a1b";
  e.identity_email = "alice@example.com";
  e.user_agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120";
  e.reconnect_count = 2;
  e.client_banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3";
  e.target_banner = "SSH-2.0-OpenSSH_9.2p1";
  return e;
}

TEST(AuditEventType, NamesRoundTrip) {
  for (auto type : {AuditEventType::session_start, AuditEventType::session_reconnect, AuditEventType::session_close,
                    AuditEventType::auth_denied, AuditEventType::policy_denied, AuditEventType::audit_lost,
                    AuditEventType::cookie_request, AuditEventType::rendezvous_create,
                    AuditEventType::rendezvous_pair, AuditEventType::rendezvous_resume,
                    AuditEventType::rendezvous_close, AuditEventType::tunnel_open, AuditEventType::tunnel_close,
                    AuditEventType::session_forward, AuditEventType::session_handover}) {
    const auto name = audit_event_type_name(type);
    EXPECT_EQ(parse_audit_event_type(name), type) << name;
  }
  EXPECT_EQ(audit_event_type_name(AuditEventType::session_start), "session.start");
  EXPECT_EQ(audit_event_type_name(AuditEventType::session_reconnect), "session.reconnect");
  EXPECT_EQ(audit_event_type_name(AuditEventType::session_close), "session.close");
  EXPECT_EQ(audit_event_type_name(AuditEventType::auth_denied), "auth.denied");
  EXPECT_EQ(audit_event_type_name(AuditEventType::policy_denied), "policy.denied");
  EXPECT_EQ(audit_event_type_name(AuditEventType::audit_lost), "audit.lost");
  EXPECT_EQ(audit_event_type_name(AuditEventType::rendezvous_pair), "rendezvous.pair");
  EXPECT_FALSE(parse_audit_event_type("session.Start"));
  EXPECT_FALSE(parse_audit_event_type(""));
}

TEST(FormatUtcMillis, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(format_utc_millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_millis(kMay1st), "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(format_utc_millis(951782400000), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(format_utc_millis(4102444799999), "2099-12-31T23:59:59.999Z");
  EXPECT_EQ(format_utc_millis(-1), "1969-12-31T23:59:59.999Z");
}

TEST(RedactQuery, KeepsThePathAndAllowListedValues) {
  EXPECT_EQ(redact_query("/v4/connect?host=db.internal&port=22&dstUsername=root&egressDomain=example.com"),
            "/v4/connect?host=db.internal&port=22&dstUsername=root&egressDomain=example.com");
  EXPECT_EQ(redact_query("/cookie?ext=iodihamcpbpeioajjeobimgagajmlibd&path=html/nassh_google_relay.html&version=2&"
                         "method=js-redirect"),
            "/cookie?ext=iodihamcpbpeioajjeobimgagajmlibd&path=html/nassh_google_relay.html&version=2&"
            "method=js-redirect");
  EXPECT_EQ(redact_query("/statz"), "/statz");
  EXPECT_EQ(redact_query("/"), "/");
  EXPECT_EQ(redact_query(""), "");
}

TEST(RedactQuery, RedactsTokensSidsAndUnknownParameters) {
  EXPECT_EQ(redact_query("/relay?host=h&port=22&token=eyJhbGciOiJSUzI1NiJ9.e30.sig"),
            "/relay?host=h&port=22&token=REDACTED");
  EXPECT_EQ(redact_query("/v4/reconnect?sid=8PHy8_T19vf4-fr7_P3-_w&ack=1234"), "/v4/reconnect?sid=REDACTED&ack=1234");
  EXPECT_EQ(redact_query("/x?access_token=a&id_token=b&code=c&state=d&key=e"),
            "/x?access_token=REDACTED&id_token=REDACTED&code=REDACTED&state=REDACTED&key=REDACTED");
  // Case and percent-encoding do not sneak a value past the allow-list.
  EXPECT_EQ(redact_query("/x?Host=secret&%68ost=secret"), "/x?Host=REDACTED&REDACTED=REDACTED");
  // Empty values are redacted all the same (the output does not reveal whether a token was empty).
  EXPECT_EQ(redact_query("/x?token="), "/x?token=REDACTED");
}

TEST(RedactQuery, TreatsBareComponentsAndOddNamesAsValues) {
  EXPECT_EQ(redact_query("/relay?eyJhbGciOiJSUzI1NiJ9.e30.sig"), "/relay?REDACTED");
  EXPECT_EQ(redact_query("/relay?host&port"), "/relay?host&port");
  EXPECT_EQ(redact_query("/relay?" + std::string(40, 'a') + "=1"), "/relay?REDACTED=REDACTED");
  EXPECT_EQ(redact_query("/relay?a%20b=1"), "/relay?REDACTED=REDACTED");
  // Empty components survive as they are.
  EXPECT_EQ(redact_query("/relay?"), "/relay?");
  EXPECT_EQ(redact_query("/relay?&&host=h&"), "/relay?&&host=h&");
  // A value holding '=' is redacted whole.
  EXPECT_EQ(redact_query("/relay?token=a=b=c"), "/relay?token=REDACTED");
}

TEST(RedactQuery, RedactsFragments) {
  EXPECT_EQ(redact_query("/p?host=h#access_token=secret"), "/p?host=h#REDACTED");
  EXPECT_EQ(redact_query("/p#"), "/p#");
  EXPECT_EQ(redact_query("/p#frag?token=x"), "/p#REDACTED");
}

TEST(RedactQuery, IsIdempotent) {
  for (const char* path : {"/relay?host=h&port=22&token=abc", "/relay?eyJ", "/x?Host=1#f", "/v4/reconnect?sid=s&ack=1"}) {
    const auto once = redact_query(path);
    EXPECT_EQ(redact_query(once), once) << path;
  }
}

TEST(AuditEventJson, SessionCloseCarriesEveryField) {
  const json j = to_json(full_close());
  const json expected = {
      {"@timestamp", "2024-05-01T12:34:56.789Z"},
      {"event.action", "session.close"},
      {"event.dataset", "sshrelay.audit"},
      {"sshrelay.schema", 1},
      {"event.epoch", 1714566896.789},
      {"event.id", "0123456789abcdef0123456789abcdef"},
      {"user.name", "alice@example.com"},
      {"user.id", "7a1b"},
      {"user.email", "alice@example.com"},
      {"sshrelay.identity_provider", "cloudflare-access"},
      {"user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"},
      {"sshrelay.reconnect_count", 2},
      {"sshrelay.client_banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"},
      {"sshrelay.target_banner", "SSH-2.0-OpenSSH_9.2p1"},
      {"source.ip", "203.0.113.7"},
      {"source.port", 51234},
      {"sshrelay.target", "db.internal:22"},
      {"sshrelay.target_user", "root"},
      {"destination.ip", "10.0.0.5"},
      {"destination.port", 22},
      {"source.nat.ip", "10.0.0.2"},
      {"source.nat.port", 40001},
      {"sshrelay.sid", "8PHy8_T19vf4-fr7_P3-_w"},
      {"source.bytes", 1234},
      {"destination.bytes", 567890},
      {"sshrelay.duration_ms", 61000},
      {"sshrelay.close.code", 1000},
      {"sshrelay.close.reason", "grace period expired"},
      {"url.original", "/v4/connect?host=db.internal&port=22&dstUsername=root"},
  };
  EXPECT_EQ(j, expected) << j.dump(2);
}

TEST(AuditEventJson, LeavesOutWhatIsNotKnown) {
  AuditEvent e;
  e.type = AuditEventType::auth_denied;
  e.time_ms = 0;
  e.source_ip = "198.51.100.1";
  e.source_port = 4000;
  e.reason = "JWT expired";
  e.path = "/v4/connect?host=h&port=22&token=eyJsecret";
  const json j = to_json(e);
  const json expected = {
      {"@timestamp", "1970-01-01T00:00:00.000Z"},
      {"event.action", "auth.denied"},
      {"event.dataset", "sshrelay.audit"},
      {"sshrelay.schema", 1},
      {"event.epoch", 0.0},
      {"source.ip", "198.51.100.1"},
      {"source.port", 4000},
      {"event.reason", "JWT expired"},
      {"url.original", "/v4/connect?host=h&port=22&token=REDACTED"},
  };
  EXPECT_EQ(j, expected) << j.dump(2);
  // Zero counters are facts, not unknowns.
  AuditEvent zero = full_close();
  zero.bytes_up = 0;
  zero.close_code = std::nullopt;
  const json z = to_json(zero);
  EXPECT_EQ(z.at("source.bytes"), 0);
  EXPECT_FALSE(z.contains("sshrelay.close.code"));
}

TEST(AuditEventJson, LostReportListsEverySink) {
  AuditEvent e;
  e.type = AuditEventType::audit_lost;
  e.time_ms = kMay1st;
  e.lost = {{"splunk_hec", 120, 20}, {"jsonl", 0, 0}};
  const json j = to_json(e);
  EXPECT_EQ(j.at("event.action"), "audit.lost");
  EXPECT_EQ(j.at("sshrelay.lost.total"), (json{{"splunk_hec", 120}, {"jsonl", 0}}));
  EXPECT_EQ(j.at("sshrelay.lost.since_last"), (json{{"splunk_hec", 20}, {"jsonl", 0}}));
  AuditEvent empty;
  empty.type = AuditEventType::audit_lost;
  EXPECT_EQ(to_json(empty).at("sshrelay.lost.total"), json::object());
  EXPECT_FALSE(to_json(full_close()).contains("sshrelay.lost.total"));
}

TEST(AuditEventJson, NeverLeaksAQueryValueThroughThePath) {
  AuditEvent e = full_close();
  e.path = "/relay?host=h&port=1&token=SECRET1&sid=SECRET2&SECRET3#SECRET4";
  const auto line = to_json_line(e);
  EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
}

TEST(AuditEventJson, LongPathsAreCut) {
  AuditEvent e = full_close();
  e.path = "/static/" + std::string(5000, 'x');
  const auto path = to_json(e).at("url.original").get<std::string>();
  EXPECT_EQ(path.size(), kMaxAuditPathLength + 3);
  EXPECT_EQ(path.substr(path.size() - 3), "...");
}

TEST(AuditEventJson, LineIsOneLineAndSurvivesInvalidUtf8) {
  AuditEvent e = full_close();
  e.close_reason = "bad \xff\xfe bytes\nand a newline";
  e.path = "/p\xc3";
  const auto line = to_json_line(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const json back = json::parse(line);
  EXPECT_EQ(back.at("sshrelay.close.reason"), "bad \xef\xbf\xbd\xef\xbf\xbd bytes\nand a newline");
  EXPECT_EQ(back.at("event.action"), "session.close");
}

}  // namespace
}  // namespace sshrelay
