#pragma once
// One relay session over one local stream, run to its end: the loop `sshrelay proxy` (stdin/stdout),
// `sshrelay raw` and `sshrelay tcp-dial` (a TCP connection to the local service) share. The outcome is
// printed on stderr as soon as it is known; SIGHUP, SIGINT and SIGTERM close the session with 1000,
// bounded in time.
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>

#include "native/cli/client_setup.hpp"
#include "native/cli/console.hpp"
#include "native/client/local_stream.hpp"

namespace sshrelay::cli {

using StopRequest = std::function<void(const std::string& why)>;

// Runs `ioc` until the session on `local` (whose executor is `strand`) ends; returns the exit code.
// `watch`: called once with the function that asks the session to stop (e.g. when ssh closes our
// stdout). May be empty.
int run_single_session(boost::asio::io_context& ioc, const boost::asio::strand<boost::asio::io_context::executor_type>& strand,
                       ClientSetup& setup, const ProxyOptions& options, Console& console,
                       std::unique_ptr<client::LocalStream> local, const std::function<void(StopRequest)>& watch);

}  // namespace sshrelay::cli
