#pragma once
// Exit codes of `sshrelay proxy`, and the one line that explains how a session ended. Scripts (and
// people) can tell "the relay said no" from "the network is gone" from "the relay lost the session".
#include <boost/system/error_code.hpp>
#include <string>

#include "native/client/relay_connection.hpp"

namespace sshrelay::cli {

enum ExitCode : int {
  kExitOk = 0,              // the relay closed the session normally (1000), or we were told to stop
  kExitRelayError = 1,      // the relay refused or ended the session with an error; a local failure
  kExitUsage = 2,           // bad command line or configuration (the message names the flag)
  kExitReconnectFailed = 3, // the connection dropped and could not be resumed within --reconnect-timeout
  kExitSessionLost = 4,     // the relay restarted (1012) or no longer knows the session (4404, e.g. expired)
  kExitUnreachable = 5,     // the first connection to the relay failed (DNS, TCP, TLS, timeout)
  kExitAuth = 6,            // the relay refused our credentials (HTTP 401/403, close 4401), or none could be had
};

struct Outcome {
  int exit_code = kExitOk;
  std::string message;   // one line, without the "sshrelay: " prefix
  bool routine = false;  // nothing worth saying without -v (we stopped, ssh went away)
};

// How a RelayConnection's completion arguments map to an exit code and a message.
Outcome describe_outcome(const boost::system::error_code& ec, const client::CloseInfo& info);

// The exit code table for --help and docs/cli.md.
std::string exit_codes_help();

}  // namespace sshrelay::cli
