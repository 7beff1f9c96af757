#include "native/cli/stdio_proxy.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "native/cli/client_setup.hpp"
#include "native/cli/exit_status.hpp"
#include "native/cli/stdio_stream.hpp"
#include "native/cli/single_session.hpp"

namespace sshrelay::cli {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

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

  const auto strand = asio::make_strand(ioc);
  auto stdio = std::make_unique<StdioLocalStream>(strand, fds->input, fds->output);
  StdioLocalStream& stdio_ref = *stdio;
  return run_single_session(ioc, strand, setup, options, console, std::move(stdio), [&stdio_ref](StopRequest stop) {
    stdio_ref.watch_output([stop] { stop("the reader of stdout went away"); });
  });
}

}  // namespace sshrelay::cli
