#include "native/cli/exit_status.hpp"

#include "native/client/client_error.hpp"

namespace sshrelay::cli {
namespace {

using client::errc;

std::string quoted_close(const client::CloseInfo& info) {
  std::string out = "close " + std::to_string(info.code);
  if (!info.reason.empty()) out += " \"" + info.reason + "\"";
  return out;
}

Outcome from_close_frame(const client::CloseInfo& info) {
  const std::string close = quoted_close(info);
  switch (info.code) {
    case 0:     // a close frame without a status
    case 1000:
      return {kExitOk, "the relay closed the session (" + close + ")", false};
    case 1012:
      return {kExitSessionLost, "the relay restarted (" + close + "): the SSH session is lost", false};
    case 4404:
      return {kExitSessionLost,
              "the relay no longer has this session (" + close +
                  "): it expired after the relay's grace period, or the relay restarted",
              false};
    case 4401:
      return {kExitAuth, "the relay refused our identity (" + close + "): check --token-cmd, --token-file, --header",
              false};
    case 4403:
      return {kExitRelayError, "the relay denied access (" + close + "): origin or target not allowed", false};
    case 4429:
      return {kExitRelayError, "the relay is at its session limit (" + close + ")", false};
    case 4502:
      return {kExitRelayError, "the relay could not reach the target (" + close + ")", false};
    case 4503:
      return {kExitRelayError, "the relay has no source port left for the target (" + close + ")", false};
    default:
      return {kExitRelayError, "the relay ended the session with an error (" + close + ")", false};
  }
}

}  // namespace

Outcome describe_outcome(const boost::system::error_code& ec, const client::CloseInfo& info) {
  if (!ec) return from_close_frame(info);
  const std::string detail = info.detail.empty() ? ec.message() : info.detail;
  if (ec.category() == client::client_category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::stopped:
        return {kExitOk, "stopped: the session was closed", true};
      case errc::local_side_closed:
        return {kExitOk, "the local side went away (" + detail + "): the session was closed", true};
      case errc::reconnect_gave_up:
        return {kExitReconnectFailed,
                "lost the connection to the relay and could not resume the session within --reconnect-timeout (" +
                    detail + ")",
                false};
      case errc::upgrade_refused:
        if (info.http_status == 401 || info.http_status == 403) {
          return {kExitAuth, "the relay refused our credentials: " + detail, false};
        }
        return {kExitRelayError, "the relay refused the connection: " + detail, false};
      case errc::credentials_unavailable:
        return {kExitAuth, "no credentials for the relay: " + detail, false};
      case errc::lost_before_connect:
        return {kExitUnreachable, "the connection to the relay dropped before the session started (" + detail + ")",
                false};
      case errc::bad_relay_url:
      case errc::subprotocol_not_echoed:
      case errc::text_message:
      case errc::protocol_error:
        return {kExitRelayError, ec.message() + " (" + detail + ")", false};
    }
  }
  // Any other error ends only a first connect (later failures are resumed): resolve, TCP, TLS, timeouts.
  return {kExitUnreachable, "could not connect to the relay: " + detail, false};
}

std::string exit_codes_help() {
  return "Exit codes:\n"
         "  0  the relay closed the session normally (close 1000), or sshrelay was stopped\n"
         "     (SIGHUP/SIGINT/SIGTERM, or ssh went away)\n"
         "  1  the relay refused or ended the session with an error (HTTP error, close 4403,\n"
         "     4429, 4502, 1011...), or the relay broke the protocol\n"
         "  2  usage or configuration error (the message names the flag)\n"
         "  3  the connection dropped and could not be resumed within --reconnect-timeout\n"
         "  4  the session is lost: the relay restarted (close 1012) or no longer knows it\n"
         "     (close 4404: the grace period expired)\n"
         "  5  the first connection to the relay failed (DNS, TCP, TLS, timeout)\n"
         "  6  the relay refused our credentials (HTTP 401/403, close 4401), or --token-cmd /\n"
         "     --token-file gave none\n";
}

}  // namespace sshrelay::cli
