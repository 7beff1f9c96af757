#include "native/cli/single_session.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstring>
#include <optional>

#include "native/cli/exit_status.hpp"
#include "native/cli/verbose_reporter.hpp"

namespace sshrelay::cli {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto kStopDeadline = std::chrono::seconds(10);

void report(Console& console, const Outcome& outcome) {
  if (outcome.exit_code != kExitOk) return console.error(outcome.message);
  if (outcome.routine) return console.progress(outcome.message);
  console.info(outcome.message);
}

}  // namespace

int run_single_session(asio::io_context& ioc, const asio::strand<asio::io_context::executor_type>& strand,
                       ClientSetup& setup, const ProxyOptions& options, Console& console,
                       std::unique_ptr<client::LocalStream> local, const std::function<void(StopRequest)>& watch) {
  std::optional<Outcome> outcome;
  setup.connection.on_outcome = [&](error_code ec, const client::CloseInfo& info) {
    outcome = describe_outcome(ec, info);
    report(console, *outcome);
  };
  auto connection = std::make_shared<client::RelayConnection>(std::move(local), setup.connection);
  std::weak_ptr<client::RelayConnection> weak = connection;

  std::shared_ptr<VerboseReporter> reporter;
  if (options.verbose) {
    reporter = std::make_shared<VerboseReporter>(strand, console, options.stats_interval);
    reporter->watch(connection);
    reporter->start();
  }

  // Whoever asks us to stop (a signal, ssh closing our stdout) gets a clean close (1000, so the relay
  // ends the session at once instead of holding it for its grace period), bounded in time.
  asio::steady_timer stop_deadline(strand);
  bool stopping = false;
  StopRequest stop = [&](const std::string& why) {
    if (stopping) return;
    stopping = true;
    console.progress(why + ": closing the session");
    if (auto c = weak.lock()) c->stop();
    stop_deadline.expires_after(kStopDeadline);
    stop_deadline.async_wait([&](error_code ec) {
      if (ec) return;
      console.error("the session did not close within 10 s; exiting anyway");
      ioc.stop();
    });
  };
  asio::signal_set signals(strand, SIGHUP, SIGINT, SIGTERM);
  signals.async_wait([&](error_code ec, int signal_number) {
    if (!ec) stop(std::string("got ") + ::strsignal(signal_number));
  });
  if (watch) watch(stop);

  bool completed = false;
  connection->start([&](error_code, const client::CloseInfo&) {
    completed = true;
    error_code ignored;
    signals.cancel(ignored);
    stop_deadline.cancel();
    if (reporter) reporter->stop();
  });
  ioc.run();

  if (setup.tokens) setup.tokens->shutdown();
  if (reporter && connection->finished()) console.progress("totals: " + connection_summary(*connection));
  if (!completed || !outcome) return stopping ? kExitOk : kExitRelayError;  // forced out after a stop request
  return outcome->exit_code;
}

}  // namespace sshrelay::cli
