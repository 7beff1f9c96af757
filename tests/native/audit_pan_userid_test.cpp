// PAN-OS User-ID sink: the uid-message documents, and the requests a real local HTTPS receiver gets
// (multi-user-system setup, then login/logout of relay_ip + blockstart; the API key in a header or the
// form body, never in the URL).
#include "native/daemon/audit/pan_userid_sink.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "native/daemon/audit/audit_log.hpp"
#include "tests/native/audit_test_support.hpp"

namespace sshrelay::daemon::audit {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HttpsReceiver;
using testing::ReceivedRequest;
using testing::Reply;
using testing::session_event;

constexpr const char* kKey = "LUFRPT1TEST/key+value==";
const Reply kSuccess{200, R"(<response status="success"><result><uid-response><payload/></uid-response></result></response>)"};

std::string url_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> fields;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    auto amp = body.find('&', pos);
    if (amp == std::string::npos) amp = body.size();
    const std::string part = body.substr(pos, amp - pos);
    const auto eq = part.find('=');
    fields[url_decode(part.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(part.substr(eq + 1));
    pos = amp + 1;
  }
  return fields;
}

struct Entry {
  std::string section;  // login, logout or multiusersystem
  std::map<std::string, std::string> attributes;
};

// A loose reading of a uid-message: every <entry .../> with its section and attributes.
std::vector<Entry> entries_of(const std::string& xml) {
  std::vector<Entry> out;
  const std::regex section_re(R"(<(login|logout|multiusersystem)>(.*?)</\1>)");
  const std::regex entry_re(R"(<entry\s([^>]*?)/?>)");
  const std::regex attribute_re(R"re(([a-z-]+)="([^"]*)")re");
  for (std::sregex_iterator s(xml.begin(), xml.end(), section_re), end; s != end; ++s) {
    const std::string body = (*s)[2];
    for (std::sregex_iterator e(body.begin(), body.end(), entry_re); e != end; ++e) {
      Entry entry{(*s)[1], {}};
      const std::string attributes = (*e)[1];
      for (std::sregex_iterator a(attributes.begin(), attributes.end(), attribute_re); a != end; ++a) {
        entry.attributes[(*a)[1]] = (*a)[2];
      }
      out.push_back(std::move(entry));
    }
  }
  return out;
}

std::vector<Entry> all_entries(const std::vector<ReceivedRequest>& requests) {
  std::vector<Entry> out;
  for (const auto& r : requests) {
    for (auto& e : entries_of(form_fields(r.body)["cmd"])) out.push_back(std::move(e));
  }
  return out;
}

AuditConfig pan_config(const HttpsReceiver& receiver) {
  AuditConfig config;
  config.pan_urls = {receiver.url()};
  config.pan_api_key = kKey;
  config.pan_ca_file = testing::test_cert().cert;
  config.pan_user_domain = "EXAMPLE";
  config.pan_port_first = 40000;
  config.pan_port_last = 40099;
  config.pan_flush_interval = 50ms;
  config.retry_initial = 20ms;
  config.retry_max = 200ms;
  config.request_timeout = 60s;  // a request that timed out under load would be sent twice
  return config;
}

TEST(PanUidMessage, LoginAndLogoutEntriesCarryTheBlockStart) {
  EXPECT_EQ(uid_message_login_logout({{"EXAMPLE\\alice", "10.0.0.2", 40001}}, {{"EXAMPLE\\bob", "10.0.0.2", 40002}}),
            "<uid-message><version>1.0</version><type>update</type><payload>"
            "<login><entry name=\"EXAMPLE\\alice\" ip=\"10.0.0.2\" blockstart=\"40001\"/></login>"
            "<logout><entry name=\"EXAMPLE\\bob\" ip=\"10.0.0.2\" blockstart=\"40002\"/></logout>"
            "</payload></uid-message>");
  EXPECT_EQ(uid_message_login_logout({}, {{"u", "::1", 5}}),
            "<uid-message><version>1.0</version><type>update</type><payload>"
            "<logout><entry name=\"u\" ip=\"::1\" blockstart=\"5\"/></logout></payload></uid-message>");
}

TEST(PanUidMessage, MultiUserSystemSetup) {
  EXPECT_EQ(uid_message_multiuser_setup("10.0.0.2", 40000, 40099, 1),
            "<uid-message><version>1.0</version><type>update</type><payload>"
            "<multiusersystem><entry ip=\"10.0.0.2\" startport=\"40000\" endport=\"40099\" blocksize=\"1\"/>"
            "</multiusersystem></payload></uid-message>");
}

TEST(PanUidMessage, EscapesNamesAndEncodesTheForm) {
  EXPECT_EQ(pan_user_name("EXAMPLE", "alice"), "EXAMPLE\\alice");
  EXPECT_EQ(pan_user_name("", "alice@example.com"), "alice@example.com");
  EXPECT_EQ(xml_attribute_escape(R"(a&b<c>"d'e)"), "a&amp;b&lt;c&gt;&quot;d&apos;e");
  EXPECT_EQ(xml_attribute_escape("a\nb\x01"), "a b ");
  EXPECT_EQ(form_urlencode("a b&c=d/e~_.-\\<"), "a%20b%26c%3Dd%2Fe~_.-%5C%3C");
  const auto xml = uid_message_login_logout({{"x\"/><entry name=\"evil", "10.0.0.2", 1}}, {});
  EXPECT_EQ(entries_of(xml).size(), 1u) << xml;
}

TEST(PanUserId, SetsUpTheMultiUserSystemThenLogsSessionsInAndOut) {
  HttpsReceiver receiver([](const ReceivedRequest&, std::size_t) { return kSuccess; });
  AuditLog audit(pan_config(receiver));
  ASSERT_TRUE(audit.start().ok());
  audit.emit(session_event(AuditEventType::session_start, 1, "alice", 40001));
  audit.emit(session_event(AuditEventType::session_start, 2, "bob", 40002));
  AuditEvent denied;
  denied.type = AuditEventType::auth_denied;
  denied.source_ip = "203.0.113.9";
  audit.emit(denied);                                                                  // not for PAN
  audit.emit(session_event(AuditEventType::session_reconnect, 1, "alice", 40001));     // nothing changes
  auto unpinned = session_event(AuditEventType::session_start, 3, "carol", 40003);
  unpinned.relay_source_port = 0;
  audit.emit(unpinned);                                                                // no port: no mapping
  audit.emit(session_event(AuditEventType::session_close, 1, "alice", 40001));
  ASSERT_TRUE(receiver.wait_for([](const auto& r) {
    std::size_t n = 0;
    for (const auto& e : all_entries(r)) n += e.section != "multiusersystem";
    return n >= 3;
  }));
  audit.stop(Clock::now() + 60s);

  const auto requests = receiver.requests();
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/");  // no query: the key never rides in the URL
    EXPECT_EQ(r.header("x-pan-key"), kKey);
    EXPECT_EQ(r.header("content-type"), "application/x-www-form-urlencoded");
    const auto fields = form_fields(r.body);
    EXPECT_EQ(fields.at("type"), "user-id");
    EXPECT_EQ(fields.count("key"), 0u);
    EXPECT_EQ(fields.count("vsys"), 0u);
    EXPECT_NE(fields.at("cmd").find("<uid-message>"), std::string::npos);
    EXPECT_EQ(r.body.find("LUFRPT1"), std::string::npos);
  }
  const auto entries = all_entries(requests);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].section, "multiusersystem");  // first, before any login from 10.0.0.2
  EXPECT_EQ(entries[0].attributes, (std::map<std::string, std::string>{
                                       {"ip", "10.0.0.2"}, {"startport", "40000"}, {"endport", "40099"},
                                       {"blocksize", "1"}}));
  EXPECT_EQ(entries[1].section, "login");
  EXPECT_EQ(entries[1].attributes, (std::map<std::string, std::string>{
                                       {"name", "EXAMPLE\\alice"}, {"ip", "10.0.0.2"}, {"blockstart", "40001"}}));
  EXPECT_EQ(entries[2].section, "login");
  EXPECT_EQ(entries[2].attributes.at("name"), "EXAMPLE\\bob");
  EXPECT_EQ(entries[2].attributes.at("blockstart"), "40002");
  EXPECT_EQ(entries[3].section, "logout");
  EXPECT_EQ(entries[3].attributes, (std::map<std::string, std::string>{
                                       {"name", "EXAMPLE\\alice"}, {"ip", "10.0.0.2"}, {"blockstart", "40001"}}));
  EXPECT_EQ(audit.stats()[0].delivered, 3u);
  EXPECT_EQ(audit.lost_counts().at("pan_userid"), 0u);
}

TEST(PanUserId, TheKeyCanGoInTheFormBodyInstead) {
  HttpsReceiver receiver([](const ReceivedRequest&, std::size_t) { return kSuccess; });
  auto config = pan_config(receiver);
  config.pan_key_in_body = true;
  config.pan_vsys = "vsys2";
  config.pan_urls = {receiver.url("/api")};
  AuditLog audit(config);
  ASSERT_TRUE(audit.start().ok());
  audit.emit(session_event(AuditEventType::session_start, 1, "alice", 40001));
  ASSERT_TRUE(receiver.wait_for([](const auto& r) { return r.size() >= 2; }));
  audit.stop(Clock::now() + 60s);
  for (const auto& r : receiver.requests()) {
    EXPECT_EQ(r.target, "/api");
    EXPECT_EQ(r.header("x-pan-key"), "");
    const auto fields = form_fields(r.body);
    EXPECT_EQ(fields.at("key"), kKey);
    EXPECT_EQ(fields.at("vsys"), "vsys2");
  }
}

// The Python relay's RELAY_PAN_FIREWALL_URLS (several firewalls), RELAY_RELAY_IP (the address behind NAT)
// and RELAY_PAN_LOGIN_TIMEOUT_SECONDS: every firewall gets every mapping, under the configured address,
// with the timeout on logins only, in PAN-OS's minutes.
TEST(PanUserId, EveryFirewallGetsTheMappingsWithTheRelayIpAndTimeout) {
  HttpsReceiver first([](const ReceivedRequest&, std::size_t) { return kSuccess; });
  HttpsReceiver second([](const ReceivedRequest&, std::size_t) { return kSuccess; });
  auto config = pan_config(first);
  config.pan_urls = {first.url(), second.url()};
  config.pan_relay_ip = "192.0.2.10";
  config.pan_login_timeout_minutes = 61;
  AuditLog audit(config);
  ASSERT_TRUE(audit.start().ok());
  audit.emit(session_event(AuditEventType::session_start, 1, "alice", 40001));
  audit.emit(session_event(AuditEventType::session_close, 1, "alice", 40001));
  const auto three_entries = [](const auto& r) { return all_entries(r).size() >= 3; };
  ASSERT_TRUE(first.wait_for(three_entries));
  ASSERT_TRUE(second.wait_for(three_entries));
  audit.stop(Clock::now() + 60s);
  for (const HttpsReceiver* firewall : {&first, &second}) {
    const auto entries = all_entries(firewall->requests());
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].section, "multiusersystem");
    EXPECT_EQ(entries[0].attributes.at("ip"), "192.0.2.10");
    EXPECT_EQ(entries[1].section, "login");
    EXPECT_EQ(entries[1].attributes, (std::map<std::string, std::string>{{"name", "EXAMPLE\\alice"},
                                                                         {"ip", "192.0.2.10"},
                                                                         {"blockstart", "40001"},
                                                                         {"timeout", "61"}}));
    EXPECT_EQ(entries[2].section, "logout");
    EXPECT_EQ(entries[2].attributes.count("timeout"), 0u);
    EXPECT_EQ(entries[2].attributes.at("ip"), "192.0.2.10");
  }
  const auto lost = audit.lost_counts();
  EXPECT_EQ(lost.count("pan_userid"), 1u);
  EXPECT_EQ(lost.count("pan_userid_2"), 1u);
}

TEST(PanUserId, ALoginAfterALogoutOfTheSamePortWaitsForTheNextMessage) {
  HttpsReceiver receiver([](const ReceivedRequest&, std::size_t) { return kSuccess; });
  auto config = pan_config(receiver);
  // All three events land in one take: an interval far longer than a descheduled thread's pause between
  // two emit() calls (if they were split, the test would not exercise the carry-over).
  config.pan_flush_interval = 1500ms;
  AuditLog audit(config);
  ASSERT_TRUE(audit.start().ok());
  audit.emit(session_event(AuditEventType::session_start, 1, "alice", 40007));
  audit.emit(session_event(AuditEventType::session_close, 1, "alice", 40007));
  audit.emit(session_event(AuditEventType::session_start, 2, "bob", 40007));  // the port, reused
  ASSERT_TRUE(receiver.wait_for([](const auto& r) { return all_entries(r).size() >= 4; }));
  audit.stop(Clock::now() + 60s);
  // The firewall applies a message's logins before its logouts: bob's login must not share a message
  // with alice's logout of the same block, or bob's mapping would be removed at once.
  bool bob_seen = false;
  for (const auto& r : receiver.requests()) {
    const auto entries = entries_of(form_fields(r.body)["cmd"]);
    bool bob = false, logout = false;
    for (const auto& e : entries) {
      bob |= e.section == "login" && e.attributes.at("name") == "EXAMPLE\\bob";
      logout |= e.section == "logout";
    }
    EXPECT_FALSE(bob && logout) << r.body;
    bob_seen |= bob;
  }
  EXPECT_TRUE(bob_seen);
  EXPECT_EQ(audit.stats()[0].delivered, 3u);
}

TEST(PanUserId, AnErrorResponseDropsTheBatch) {
  HttpsReceiver receiver([](const ReceivedRequest&, std::size_t) {
    return Reply{200, R"(<response status="error"><msg><line>Invalid credentials.</line></msg></response>)"};
  });
  AuditLog audit(pan_config(receiver));
  ASSERT_TRUE(audit.start().ok());
  audit.emit(session_event(AuditEventType::session_start, 1, "alice", 40001));
  audit.emit(session_event(AuditEventType::session_start, 2, "bob", 40002));
  ASSERT_TRUE(eventually([&] { return audit.lost_counts().at("pan_userid") == 2; }));
  audit.stop(Clock::now() + 60s);
  EXPECT_EQ(audit.stats()[0].delivered, 0u);
}

}  // namespace
}  // namespace sshrelay::daemon::audit
