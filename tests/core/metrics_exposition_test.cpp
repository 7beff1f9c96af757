// The Prometheus text format as core writes it, and the counters it keeps from audit events.
#include <gtest/gtest.h>

#include "core/metrics/audit_counters.hpp"
#include "core/metrics/exposition.hpp"

namespace sshrelay::metrics {
namespace {

TEST(Exposition, WritesHelpTypeAndEscapedLabels) {
  ExpositionWriter out;
  out.family("x_total", MetricType::counter, "Things.", {Sample{{{"a", "q\"b\\c\nd"}, {"z", ""}}, 3}});
  out.single("y_bytes", MetricType::gauge, "Bytes.", 1.5);
  EXPECT_EQ(out.text(),
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total{a=\"q\\\"b\\\\c\\nd\",z=\"\"} 3\n"
            "# HELP y_bytes Bytes.\n# TYPE y_bytes gauge\ny_bytes 1.5\n");
}

TEST(Exposition, FormatsValues) {
  EXPECT_EQ(format_sample_value(0), "0");
  EXPECT_EQ(format_sample_value(268435456), "268435456");
  EXPECT_EQ(format_sample_value(-2), "-2");
  EXPECT_EQ(format_sample_value(0.1), "0.10000000000000001");
  EXPECT_EQ(format_sample_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_sample_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_sample_value(0.0 / 0.0), "NaN");
  EXPECT_EQ(format_sample_value(1e300), "1.0000000000000001e+300");
}

AuditEvent event(AuditEventType type, std::string endpoint = "v4") {
  AuditEvent e;
  e.type = type;
  e.endpoint = std::move(endpoint);
  return e;
}

TEST(AuditCounters, CountSessionsBytesRefusalsAndRendezvous) {
  AuditCounters counters;
  counters.count(event(AuditEventType::session_start));
  counters.count(event(AuditEventType::session_start, "relay"));
  counters.count(event(AuditEventType::session_reconnect));
  auto close = event(AuditEventType::session_close);
  close.close_code = 1000;
  close.bytes_up = 10;
  close.bytes_down = 2000;
  counters.count(close);
  counters.count(close);
  auto denied = event(AuditEventType::auth_denied, "");
  denied.close_code = 4401;
  counters.count(denied);
  counters.count(event(AuditEventType::policy_denied, ""));
  counters.count(event(AuditEventType::rendezvous_pair, ""));
  counters.count(event(AuditEventType::tunnel_open, "tunnel"));
  auto tunnel_closed = event(AuditEventType::tunnel_close, "tunnel");
  tunnel_closed.tunnel_requests = 7;
  tunnel_closed.tunnel_connections = 2;
  counters.count(tunnel_closed);
  ExpositionWriter out;
  counters.write(out);
  const auto& text = out.text();
  for (const char* line : {"sshrelay_sessions_opened_total{endpoint=\"relay\"} 1\n",
                           "sshrelay_sessions_opened_total{endpoint=\"v4\"} 1\n",
                           "sshrelay_session_reconnects_total{endpoint=\"v4\"} 1\n",
                           "sshrelay_sessions_closed_total{endpoint=\"v4\",code=\"1000\"} 2\n",
                           "sshrelay_relayed_bytes_total{endpoint=\"v4\",direction=\"down\"} 4000\n",
                           "sshrelay_relayed_bytes_total{endpoint=\"v4\",direction=\"up\"} 20\n",
                           "sshrelay_refusals_total{event=\"auth.denied\",code=\"4401\"} 1\n",
                           "sshrelay_refusals_total{event=\"policy.denied\",code=\"none\"} 1\n",
                           "sshrelay_rendezvous_events_total{action=\"pair\"} 1\n",
                           "sshrelay_tunnel_events_total{action=\"open\"} 1\n",
                           "sshrelay_tunnel_events_total{action=\"close\"} 1\n",
                           "sshrelay_tunnel_requests_total 7\n", "sshrelay_tunnel_connections_total 2\n",
                           "sshrelay_audit_events_total{action=\"session.close\"} 2\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "in\n" << text;
  }
  // Families without samples still say what they are (a scraper sees them from the start).
  EXPECT_NE(text.find("# TYPE sshrelay_rendezvous_events_total counter"), std::string::npos);
}

}  // namespace
}  // namespace sshrelay::metrics
