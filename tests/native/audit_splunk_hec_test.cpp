// Splunk HEC sink against a real local HTTPS receiver (self-signed certificate from the openssl CLI):
// request shape, batching by count and by time, retry with backoff, rejection, certificate checks.
#include "native/daemon/audit/splunk_hec_sink.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "native/daemon/audit/audit_log.hpp"
#include "tests/native/audit_test_support.hpp"

namespace sshrelay::daemon::audit {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;
using testing::HttpsReceiver;
using testing::ReceivedRequest;
using testing::Reply;
using testing::session_event;
using testing::hec_events;
using testing::split_lines;

constexpr const char* kToken = "11111111-2222-3333-4444-555555555555";

AuditConfig hec_config(const HttpsReceiver& receiver) {
  AuditConfig config;
  config.hec_url = receiver.url();
  config.hec_token = kToken;
  config.hec_ca_file = testing::test_cert().cert;
  config.hec_batch_max = 5;
  config.hec_flush_interval = 50ms;
  config.retry_initial = 20ms;
  config.retry_max = 200ms;
  config.request_timeout = 60s;  // a request that timed out under load would be sent twice
  return config;
}

TEST(HecBody, ConcatenatesOneEnvelopePerEvent) {
  std::vector<RecordPtr> batch{make_record(session_event(AuditEventType::session_start, 1)),
                               make_record(session_event(AuditEventType::session_close, 2))};
  const auto lines = split_lines(hec_body(batch));
  ASSERT_EQ(lines.size(), 2u);
  const json first = json::parse(lines[0]);
  EXPECT_EQ(first.at("sourcetype"), "sshrelay:audit");
  EXPECT_EQ(first.at("source"), "sshrelayd");
  EXPECT_DOUBLE_EQ(first.at("time").get<double>(), 1714566896.790);
  EXPECT_EQ(lines[0].substr(0, 23), R"({"time":1714566896.790,)");
  EXPECT_EQ(first.at("event"), to_json(batch[0]->event));
  EXPECT_EQ(json::parse(lines[1]).at("event").at("event.action"), "session.close");
}

// --audit-hec-source/-sourcetype/-index (the Python relay's RELAY_SPLUNK_*): on every event; no index
// field unless one is set.
TEST(HecBody, TheEnvelopeIsConfigurable) {
  std::vector<RecordPtr> batch{make_record(session_event(AuditEventType::session_start, 1)),
                               make_record(session_event(AuditEventType::session_close, 2), AuditFormat::ssh_relay)};
  const auto lines = split_lines(hec_body(batch, HecEnvelope{"ssh-relay", "_json", "ssh \"audit\""}));
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& line : lines) {
    const json j = json::parse(line);
    EXPECT_EQ(j.at("source"), "ssh-relay");
    EXPECT_EQ(j.at("sourcetype"), "_json");
    EXPECT_EQ(j.at("index"), "ssh \"audit\"");
  }
  EXPECT_EQ(json::parse(lines[1]).at("event").at("event"), "session.close") << "the event in its format";
  EXPECT_FALSE(json::parse(split_lines(hec_body(batch))[0]).contains("index"));
}

// RELAY_SPLUNK_VERIFY=false: a collector whose certificate nobody vouches for is still written to; with
// checking on (the default) the same collector is refused.
TEST(SplunkHec, VerifyFalseAcceptsAnUnknownCertificate) {
  for (const bool verify : {false, true}) {
    HttpsReceiver receiver;
    auto config = hec_config(receiver);
    config.hec_ca_file.clear();  // the system store, which does not know the test certificate
    config.hec_verify = verify;
    AuditLog audit(config);
    ASSERT_TRUE(audit.start().ok());
    audit.emit(session_event(AuditEventType::session_start, 1));
    if (!verify) {
      EXPECT_TRUE(receiver.wait_for([](const auto& r) { return hec_events(r) >= 1; })) << "verify=false";
    } else {
      EXPECT_TRUE(eventually([&] { return !audit.stats()[0].healthy; }, 30s)) << "verify=true must refuse";
      EXPECT_EQ(hec_events(receiver.requests()), 0u);
    }
    audit.stop(Clock::now() + 5s);
  }
}

TEST(SplunkHec, PostsBatchesWithTheTokenInTheAuthorizationHeader) {
  HttpsReceiver receiver;
  AuditLog audit(hec_config(receiver));
  ASSERT_TRUE(audit.start().ok());
  for (int i = 0; i < 12; ++i) audit.emit(session_event(AuditEventType::session_start, i));
  ASSERT_TRUE(receiver.wait_for([](const auto& r) { return hec_events(r) >= 12; }));
  audit.stop(Clock::now() + 60s);  // the last response may still be on its way

  const auto requests = receiver.requests();
  EXPECT_GE(requests.size(), 3u);
  std::vector<int> seen;
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/services/collector/event");
    EXPECT_EQ(r.header("authorization"), std::string("Splunk ") + kToken);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("host"), "127.0.0.1:" + std::to_string(receiver.port()));
    EXPECT_EQ(r.target.find(kToken), std::string::npos);
    EXPECT_EQ(r.body.find(kToken), std::string::npos);
    const auto lines = split_lines(r.body);
    EXPECT_LE(lines.size(), 5u);
    for (const auto& line : lines) {
      const json envelope = json::parse(line);
      EXPECT_TRUE(envelope.at("time").is_number());
      EXPECT_EQ(envelope.at("sourcetype"), "sshrelay:audit");
      EXPECT_EQ(envelope.at("event").at("event.action"), "session.start");
      seen.push_back(std::stoi(envelope.at("event").at("sshrelay.sid").get<std::string>().substr(1)));
    }
  }
  ASSERT_EQ(seen.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(seen[i], i);  // in order, each once
  const auto stats = audit.stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].name, "splunk_hec");
  EXPECT_EQ(stats[0].delivered, 12u);
  EXPECT_EQ(stats[0].lost, 0u);
  // One kept-alive connection carried the batches.
  EXPECT_EQ(receiver.connections(), 1u);
}

TEST(SplunkHec, AnUrlPathIsKept) {
  HttpsReceiver receiver;
  auto config = hec_config(receiver);
  config.hec_url = receiver.url("/services/collector/event/1.0");
  AuditLog audit(config);
  ASSERT_TRUE(audit.start().ok());
  audit.emit(session_event(AuditEventType::session_start, 1));
  ASSERT_TRUE(receiver.wait_for([](const auto& r) { return !r.empty(); }));
  audit.stop(Clock::now() + 60s);
  EXPECT_EQ(receiver.requests().at(0).target, "/services/collector/event/1.0");
}

TEST(SplunkHec, FlushesAPartialBatchAfterTheInterval) {
  HttpsReceiver receiver;
  auto config = hec_config(receiver);
  config.hec_batch_max = 100;
  // Both events must be queued before the interval ends, or they go in two requests: an interval far
  // longer than a descheduled thread's pause between two emit() calls.
  config.hec_flush_interval = 1500ms;
  AuditLog audit(config);
  ASSERT_TRUE(audit.start().ok());
  const auto begin = Clock::now();
  audit.emit(session_event(AuditEventType::session_start, 1));
  audit.emit(session_event(AuditEventType::session_start, 2));
  ASSERT_TRUE(receiver.wait_for([](const auto& r) { return !r.empty(); }));
  EXPECT_GE(Clock::now() - begin, 1400ms);
  audit.stop(Clock::now() + 60s);
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(split_lines(receiver.requests()[0].body).size(), 2u);
}

TEST(SplunkHec, RetriesWithBackoffUntilAccepted) {
  HttpsReceiver receiver([](const ReceivedRequest&, std::size_t index) {
    if (index < 2) return Reply{503, R"({"text":"Server is busy","code":9})"};
    return Reply{};
  });
  AuditLog audit(hec_config(receiver));
  ASSERT_TRUE(audit.start().ok());
  for (int i = 0; i < 3; ++i) audit.emit(session_event(AuditEventType::session_start, i));
  ASSERT_TRUE(eventually([&] { return audit.stats()[0].delivered == 3; }));
  audit.stop(Clock::now() + 60s);
  const auto requests = receiver.requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, requests[1].body);  // the same batch, again
  EXPECT_EQ(requests[1].body, requests[2].body);
  EXPECT_EQ(audit.lost_counts().at("splunk_hec"), 0u);
}

TEST(SplunkHec, ARejectedBatchCountsAsLost) {
  HttpsReceiver receiver(
      [](const ReceivedRequest&, std::size_t) { return Reply{403, R"({"text":"Invalid token","code":4})"}; });
  AuditLog audit(hec_config(receiver));
  ASSERT_TRUE(audit.start().ok());
  for (int i = 0; i < 4; ++i) audit.emit(session_event(AuditEventType::session_start, i));
  ASSERT_TRUE(eventually([&] { return audit.lost_counts().at("splunk_hec") == 4; }));
  audit.stop(Clock::now() + 60s);
  EXPECT_EQ(audit.stats()[0].delivered, 0u);
  EXPECT_FALSE(audit.stats()[0].healthy);
}

TEST(SplunkHec, AnUntrustedCertificateGetsNothingAndTheEventsCountAsLostAtStop) {
  HttpsReceiver receiver;
  auto config = hec_config(receiver);
  config.hec_ca_file.clear();  // the system store does not know the test certificate
  AuditLog audit(config);
  ASSERT_TRUE(audit.start().ok());
  for (int i = 0; i < 3; ++i) audit.emit(session_event(AuditEventType::session_start, i));
  ASSERT_TRUE(eventually([&] { return !audit.stats()[0].healthy; }));
  audit.stop(Clock::now() + 200ms);
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_EQ(audit.lost_counts().at("splunk_hec"), 3u);
}

TEST(SplunkHec, StopSendsWhatIsQueuedWithoutWaitingForTheFlushInterval) {
  HttpsReceiver receiver;
  auto config = hec_config(receiver);
  config.hec_batch_max = 100;
  config.hec_flush_interval = 60s;
  AuditLog audit(config);
  ASSERT_TRUE(audit.start().ok());
  for (int i = 0; i < 3; ++i) audit.emit(session_event(AuditEventType::session_close, i));
  const auto begin = Clock::now();
  audit.stop(Clock::now() + 30s);  // a sink that waited for the 60 s interval would lose all three here
  EXPECT_LT(Clock::now() - begin, 30s);
  EXPECT_EQ(hec_events(receiver.requests()), 3u);
  EXPECT_EQ(audit.stats()[0].delivered, 3u);
}

}  // namespace
}  // namespace sshrelay::daemon::audit
