#include "native/cli/stdio_proxy.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "native/cli/client_setup.hpp"
#include "native/cli/exit_status.hpp"
#include "native/cli/stdio_stream.hpp"
#include "native/cli/verbose_reporter.hpp"

namespace sshrelay::cli {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto kStopDeadline = std::chrono::seconds(10);

struct SshDescriptors {
  int input = -1;
  int output = -1;
};

// Moves the SSH stream off fds 0 and 1 onto private close-on-exec descriptors, then points fd 0 at
// /dev/null and fd 1 at stderr. Returns an error text on failure.
std::optional<SshDescriptors> take_stdio(std::string& error) {
  SshDescriptors fds;
  fds.input = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  fds.output = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (fds.input < 0 || fds.output < 0) {
    error = std::string("cannot use stdin/stdout: ") + std::strerror(errno);
    if (fds.input >= 0) ::close(fds.input);
    if (fds.output >= 0) ::close(fds.output);
    return std::nullopt;
  }
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0 && null_fd >= 0) ::dup2(null_fd, STDOUT_FILENO);
  if (null_fd >= 0) ::close(null_fd);
  return fds;
}

void report(Console& console, const Outcome& outcome) {
  if (outcome.exit_code != kExitOk) return console.error(outcome.message);
  if (outcome.routine) return console.progress(outcome.message);
  console.info(outcome.message);
}

}  // namespace

int run_stdio_proxy(const ProxyOptions& options, Console& console) {
  asio::io_context ioc(1);
  ClientSetup setup = make_client_setup(options, console);

  std::string error;
  const auto fds = take_stdio(error);
  if (!fds) {
    console.error(error);
    return kExitRelayError;
  }

  std::optional<Outcome> outcome;
  setup.connection.on_outcome = [&](error_code ec, const client::CloseInfo& info) {
    outcome = describe_outcome(ec, info);
    report(console, *outcome);
  };

  const auto strand = asio::make_strand(ioc);
  auto stdio = std::make_unique<StdioLocalStream>(strand, fds->input, fds->output);
  StdioLocalStream& stdio_ref = *stdio;
  auto connection = std::make_shared<client::RelayConnection>(std::move(stdio), setup.connection);
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
  auto stop = [&](const std::string& why) {
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
  stdio_ref.watch_output([&] { stop("the reader of stdout went away"); });

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
