// How every way a session can end maps to `sshrelay proxy`'s documented exit codes and message, and the
// -v reporter's byte formatting.
#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

#include "native/cli/exit_status.hpp"
#include "native/cli/verbose_reporter.hpp"
#include "native/client/client_error.hpp"

namespace sshrelay::cli {
namespace {

using client::errc;
using client::make_error_code;

Outcome closed(std::uint16_t code, std::string reason) {
  return describe_outcome({}, client::CloseInfo{code, std::move(reason), {}, 0});
}

Outcome failed(errc e, std::string detail, unsigned http_status = 0) {
  return describe_outcome(make_error_code(e), client::CloseInfo{0, {}, std::move(detail), http_status});
}

TEST(CliExitStatus, CloseFramesFromTheRelay) {
  auto o = closed(1000, "target closed the connection");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_FALSE(o.routine) << "the close reason is shown on stderr";
  EXPECT_NE(o.message.find("close 1000 \"target closed the connection\""), std::string::npos) << o.message;

  o = closed(1012, "relay is restarting");
  EXPECT_EQ(o.exit_code, kExitSessionLost);
  EXPECT_NE(o.message.find("the relay is restarting (close 1012"), std::string::npos) << o.message;

  o = closed(4404, "unknown session");
  EXPECT_EQ(o.exit_code, kExitSessionLost);
  EXPECT_NE(o.message.find("waited too long for a reconnect"), std::string::npos) << o.message;

  EXPECT_EQ(closed(4401, "token expired").exit_code, kExitAuth);
  EXPECT_EQ(closed(4403, "target denied").exit_code, kExitRelayError);
  EXPECT_EQ(closed(4429, "").exit_code, kExitRelayError);
  o = closed(4502, "dial failed");
  EXPECT_EQ(o.exit_code, kExitRelayError);
  EXPECT_NE(o.message.find("could not reach the target"), std::string::npos);
  EXPECT_EQ(closed(1011, "internal").exit_code, kExitRelayError);
  EXPECT_EQ(closed(0, "").exit_code, kExitOk);
}

TEST(CliExitStatus, ClientErrors) {
  EXPECT_EQ(failed(errc::reconnect_gave_up, "gave up after 9 attempts").exit_code, kExitReconnectFailed);
  EXPECT_NE(failed(errc::reconnect_gave_up, "gave up after 9 attempts").message.find("gave up after 9 attempts"),
            std::string::npos);
  EXPECT_EQ(failed(errc::upgrade_refused, "relay answered HTTP 401", 401).exit_code, kExitAuth);
  EXPECT_EQ(failed(errc::upgrade_refused, "relay answered HTTP 403", 403).exit_code, kExitAuth);
  EXPECT_EQ(failed(errc::upgrade_refused, "relay answered HTTP 404", 404).exit_code, kExitRelayError);
  EXPECT_EQ(failed(errc::credentials_unavailable, "--token-cmd 'x' exited with status 1").exit_code, kExitAuth);
  EXPECT_EQ(failed(errc::lost_before_connect, "reset").exit_code, kExitUnreachable);
  EXPECT_EQ(failed(errc::protocol_error, "bad frame").exit_code, kExitRelayError);
  EXPECT_EQ(failed(errc::subprotocol_not_echoed, "no ssh").exit_code, kExitRelayError);
  EXPECT_EQ(failed(errc::transport_lost, "WebSocket read: reset").exit_code, kExitSessionLost);
  EXPECT_NE(failed(errc::transport_lost, "WebSocket read: reset").message.find("do not resume"), std::string::npos);

  auto o = failed(errc::stopped, "stop() was called");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_TRUE(o.routine);
  o = failed(errc::local_side_closed, "local write: Broken pipe");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_TRUE(o.routine);

  o = describe_outcome(boost::asio::error::connection_refused,
                       client::CloseInfo{0, {}, "connect to ws://127.0.0.1:1: Connection refused", 0});
  EXPECT_EQ(o.exit_code, kExitUnreachable);
  EXPECT_NE(o.message.find("Connection refused"), std::string::npos);
}

TEST(CliExitStatus, HelpListsEveryCode) {
  const auto help = exit_codes_help();
  for (int code = 0; code <= 6; ++code) {
    EXPECT_NE(help.find("  " + std::to_string(code) + "  "), std::string::npos) << code;
  }
}

TEST(CliVerboseReporter, FormatsBytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(64ull << 20), "64.0 MiB");
  EXPECT_EQ(format_bytes(1288490188ull), "1.20 GiB");
}

}  // namespace
}  // namespace sshrelay::cli
