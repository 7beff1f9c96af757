// GET /metrics (--metrics-listen): scraped before, during and after a real v4 session to an echo target
// (opened, dropped, resumed, closed) and a refused reconnect; the values move as they should, the output
// passes Debian's `promtool check metrics`, the metrics listener serves nothing else, and the main
// listener serves /metrics only with --metrics-listen main.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "core/wire/close_code.hpp"
#include "core/wire/query.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;
using Kind = RawV4Socket::Message::Kind;

// The value of the sample written exactly as `series` (name and labels as the relay orders them), or
// nullopt when the scrape has no such line.
std::optional<double> sample(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

class MetricsTest : public ::testing::Test {
 protected:
  void start_relay(const std::string& metrics = "127.0.0.1:0") {
    relay_.start(relayd_path(), {"--unsafe-allow-loopback", "--metrics-listen", metrics});
    if (metrics == "main") return;
    const auto ready = nlohmann::json::parse(testing::read_file(relay_.dir() + "/ready.json"));
    const std::string address = ready.at("metrics");
    metrics_port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  }

  std::string scrape() {
    const auto res = http_get(metrics_port_, "/metrics");
    EXPECT_EQ(res.status, 200u);
    EXPECT_EQ(res.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return res.body;
  }

  // promtool's verdict on a scrape: "" when it passes, else what it printed.
  std::string promtool(const std::string& scrape) {
    const auto in = dir_.file("scrape.txt");
    testing::write_file(in, scrape);
    const int code = testing::run({"promtool", "check", "metrics"}, in, dir_.file("promtool.out"), dir_.file("promtool.out"), 60s);
    const auto said = testing::read_file(dir_.file("promtool.out"));
    return code == 0 && said.empty() ? std::string() : "exit " + std::to_string(code) + ": " + said;
  }

  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }

  testing::TempDir dir_{"sshrelay-metrics"};
  RelayDaemon relay_;
  std::uint16_t metrics_port_ = 0;
};

TEST_F(MetricsTest, ValuesFollowASessionAndPassPromtool) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  const auto before = scrape();
  EXPECT_EQ(promtool(before), "") << before;
  EXPECT_NE(before.find("sshrelay_build_info{version=\""), std::string::npos) << before;
  EXPECT_EQ(sample(before, R"(sshrelay_sessions_opened_total{endpoint="v4"})"), std::nullopt) << before;
  EXPECT_EQ(sample(before, "sshrelay_replay_budget_bytes"), 256.0 * 1024 * 1024);

  RawV4Socket first(relay_.port(), "/v4/connect?host=127.0.0.1&port=" + std::to_string(echo.port()) + "&dstUsername=t");
  auto connected = frame_of(first.read());
  ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(connected)) << log();
  const auto sid = std::get<v4::ConnectSuccess>(connected).session_id;
  ASSERT_TRUE(first.write_frame(v4::Data{bytes_of("hello")}));
  ASSERT_EQ(read_payload(first, 5), "hello") << log();

  auto during = scrape();
  EXPECT_EQ(sample(during, R"(sshrelay_sessions_opened_total{endpoint="v4"})"), 1.0) << during;
  EXPECT_EQ(sample(during, R"(sshrelay_sessions{endpoint="v4",state="attached"})"), 1.0) << during;

  // A drop: the session waits, detached; a resume counts as a reconnect.
  first.reset();
  ASSERT_TRUE(wait_until([&] {
    during = scrape();
    return sample(during, R"(sshrelay_sessions{endpoint="v4",state="detached"})") == 1.0;
  }, 30s)) << during;
  RawV4Socket second(relay_.port(), "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=5");
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(frame_of(second.read()))) << log();
  ASSERT_TRUE(wait_until([&] {
    during = scrape();
    return sample(during, R"(sshrelay_session_reconnects_total{endpoint="v4"})") == 1.0;
  }, 30s)) << during;
  EXPECT_EQ(sample(during, R"(sshrelay_sessions{endpoint="v4",state="attached"})"), 1.0) << during;
  EXPECT_EQ(promtool(during), "") << during;

  // A refusal: a reconnect to a session that does not exist.
  RawV4Socket stranger(relay_.port(), "/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAA&ack=0");
  auto refused = stranger.read();
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe();

  // The client ends the session (4000; a plain 1000 from a v4 client only detaches it); the relay closes 1000.
  ASSERT_TRUE(second.close_with(close_code::client_ended, "bye")) << log();
  std::string after;
  ASSERT_TRUE(wait_until([&] {
    after = scrape();
    return sample(after, R"(sshrelay_sessions_closed_total{endpoint="v4",code="1000"})") == 1.0;
  }, 30s)) << after << log();
  EXPECT_EQ(sample(after, R"(sshrelay_relayed_bytes_total{endpoint="v4",direction="up"})"), 5.0) << after;
  EXPECT_EQ(sample(after, R"(sshrelay_relayed_bytes_total{endpoint="v4",direction="down"})"), 5.0) << after;
  EXPECT_EQ(sample(after, R"(sshrelay_sessions{endpoint="v4",state="attached"})"), std::nullopt) << after;
  EXPECT_NE(after.find("sshrelay_refusals_total{event=\"policy.denied\",code=\"" + std::to_string(refused.close_code) + "\"} 1"),
            std::string::npos)
      << after;
  EXPECT_EQ(promtool(after), "") << after;

  // The metrics listener serves nothing else; the main listener does not serve /metrics.
  EXPECT_EQ(http_get(metrics_port_, "/").status, 404u);
  EXPECT_EQ(http_get(metrics_port_, "/healthz").status, 200u);
  EXPECT_EQ(http_get(relay_.port(), "/metrics").status, 404u);
}

TEST_F(MetricsTest, MainServesThemOnTheRelaysOwnListener) {
  start_relay("main");
  const auto res = http_get(relay_.port(), "/metrics");
  ASSERT_EQ(res.status, 200u) << log();
  EXPECT_NE(res.body.find("# TYPE sshrelay_sessions_opened_total counter"), std::string::npos) << res.body;
  EXPECT_EQ(promtool(res.body), "") << res.body;
}

}  // namespace
}  // namespace sshrelay::itest
