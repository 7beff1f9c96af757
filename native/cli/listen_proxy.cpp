#include "native/cli/listen_proxy.hpp"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/system_error.hpp>
#include <cstring>
#include <iostream>

#include "native/cli/client_setup.hpp"
#include "native/cli/exit_status.hpp"
#include "native/cli/verbose_reporter.hpp"
#include "native/client/local_listener.hpp"

namespace sshrelay::cli {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto kStopDeadline = std::chrono::seconds(10);
constexpr auto kStopPoll = std::chrono::milliseconds(50);

std::string label(const client::RelayConnection& c) {
  const auto sid = c.session_id();
  return sid.empty() ? std::string("session") : "session sid=" + sid.substr(0, 8) + "...";
}

}  // namespace

int run_listen_proxy(const ProxyOptions& options, Console& console) {
  asio::io_context ioc(1);
  ClientSetup setup = make_client_setup(options, console);
  const ListenAddress& listen = *options.listen;
  if (!listen.loopback()) {
    console.error("WARNING: --listen " + listen.to_string() +
                  " is reachable from other machines: anyone who can connect uses your relay credentials");
  }

  const auto strand = asio::make_strand(ioc);
  std::shared_ptr<VerboseReporter> reporter;
  if (options.verbose) reporter = std::make_shared<VerboseReporter>(strand, console, options.stats_interval);

  // tcp-listen (a rendezvous leg): one connection, and its ending is the command's.
  const bool once = options.command == ProxyCommand::tcp_listen;
  int exit_code = kExitOk;
  client::LocalListener::Hooks hooks;
  hooks.on_accept = [&console, reporter](const std::shared_ptr<client::RelayConnection>& c) {
    console.progress("accepted a local connection; opening a relay session");
    if (reporter) reporter->watch(c);
  };
  hooks.on_done = [&console, &exit_code, &ioc, once, reporter, verbose = options.verbose](
                      const std::shared_ptr<client::RelayConnection>& c, error_code ec, const client::CloseInfo& info) {
    const auto outcome = describe_outcome(ec, info);
    const std::string line = label(*c) + ": " + outcome.message + (verbose ? " [" + connection_summary(*c) + "]" : "");
    if (outcome.exit_code != kExitOk) {
      console.error(line);
    } else {
      console.progress(line);
    }
    if (once) {
      exit_code = outcome.exit_code;
      if (reporter) reporter->stop();
      ioc.stop();
    }
  };

  std::shared_ptr<client::LocalListener> listener;
  try {
    listener = std::make_shared<client::LocalListener>(ioc, setup.connection, listen.port, listen.address, hooks);
  } catch (const boost::system::system_error& e) {
    console.error("--listen " + listen.to_string() + ": cannot listen: " + e.code().message());
    if (setup.tokens) setup.tokens->shutdown();
    return kExitRelayError;
  }
  if (once) {
    // swsrs's words, which scripts wait for; printed even with -q, since the port may be ephemeral.
    std::cerr << "tcp-listen: waiting for TCP on " << ListenAddress{listen.address, listener->port()}.to_string() << std::endl;
  } else {
    console.progress("listening on " + ListenAddress{listen.address, listener->port()}.to_string() +
                     "; each connection goes to " + options.host + ":" + std::to_string(options.port) + " through " +
                     options.relay.to_string());
  }
  if (once) listener->accept_once();
  listener->start();
  if (reporter) reporter->start();

  // On a signal: stop accepting, close every session, and wait (bounded) for them to wind down.
  asio::steady_timer stop_timer(strand);
  std::chrono::steady_clock::time_point stop_deadline;
  std::function<void()> wait_for_sessions = [&] {
    if (listener->live_connections().empty() || std::chrono::steady_clock::now() >= stop_deadline) {
      if (!listener->live_connections().empty()) console.error("sessions did not close within 10 s; exiting anyway");
      if (reporter) reporter->stop();
      ioc.stop();
      return;
    }
    stop_timer.expires_after(kStopPoll);
    stop_timer.async_wait([&](error_code ec) {
      if (!ec) wait_for_sessions();
    });
  };
  asio::signal_set signals(strand, SIGHUP, SIGINT, SIGTERM);
  signals.async_wait([&](error_code ec, int signal_number) {
    if (ec) return;
    console.progress(std::string("got ") + ::strsignal(signal_number) + ": closing every session");
    listener->stop();
    stop_deadline = std::chrono::steady_clock::now() + kStopDeadline;
    wait_for_sessions();
  });
  ioc.run();

  if (setup.tokens) setup.tokens->shutdown();
  return exit_code;
}

}  // namespace sshrelay::cli
