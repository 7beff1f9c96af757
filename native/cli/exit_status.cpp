#include "native/cli/exit_status.hpp"

#include "core/wire/close_code.hpp"
#include "native/client/client_error.hpp"

namespace sshrelay::cli {
namespace {

using client::errc;

std::string quoted_close(const client::CloseInfo& info) {
  std::string out = "close " + std::to_string(info.code);
  if (!info.reason.empty()) out += " \"" + info.reason + "\"";
  return out;
}

// The words for a close code are core's (close_code_meaning, which the page shows too); the exit code
// and the hints about our own flags are the CLI's.
Outcome from_close_frame(const client::CloseInfo& info) {
  const std::string close = quoted_close(info);
  std::string meaning(close_code_meaning(info.code));
  if (meaning.empty()) meaning = "the relay ended the session with an error";
  const std::string text = meaning + " (" + close + ")";
  switch (info.code) {
    case 0:  // a close frame without a status
    case close_code::normal:
      return {kExitOk, "the relay closed the session (" + close + ")", false};
    case close_code::service_restart:
      return {kExitSessionLost, text + ": the SSH session is lost", false};
    case close_code::unknown_session:
      return {kExitSessionLost, text, false};
    case close_code::identity_invalid:
      return {kExitAuth, text + ": check --token-cmd, --token-file, --header", false};
    default:
      return {kExitRelayError, text, false};
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
      case errc::transport_lost:
        return {kExitSessionLost, "the connection to the relay dropped, and /relay sessions do not resume (" + detail + ")",
                false};
      case errc::lost_before_connect:
        return {kExitUnreachable, "the connection to the relay dropped before the session started (" + detail + ")",
                false};
      case errc::bad_relay_url:
      case errc::subprotocol_not_echoed:
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
