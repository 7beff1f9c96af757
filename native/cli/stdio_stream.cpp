#include "native/cli/stdio_stream.hpp"

#include <fcntl.h>

#include <boost/asio/write.hpp>
#include <utility>

namespace sshrelay::cli {
namespace asio = boost::asio;
using boost::system::error_code;

StdioLocalStream::StdioLocalStream(const asio::any_io_executor& strand, int input_fd, int output_fd)
    : input_(strand), output_(strand), input_flags_(::fcntl(input_fd, F_GETFL)), output_flags_(::fcntl(output_fd, F_GETFL)) {
  input_.assign(input_fd);
  output_.assign(output_fd);
}

StdioLocalStream::~StdioLocalStream() { close(); }

void StdioLocalStream::async_read_some(asio::mutable_buffer buffer, Handler handler) {
  input_.async_read_some(buffer, std::move(handler));
}

void StdioLocalStream::async_write(asio::const_buffer buffer, Handler handler) {
  asio::async_write(output_, buffer, std::move(handler));
}

void StdioLocalStream::watch_output(std::function<void()> gone) {
  // A pipe's write end reports EPOLLERR once its read end is closed; Asio completes wait_error then.
  // Where epoll refuses the descriptor (regular files) the wait fails at once: nothing to watch.
  output_.async_wait(asio::posix::descriptor_base::wait_error, [gone = std::move(gone)](error_code ec) {
    if (!ec) gone();
  });
}

void StdioLocalStream::restore_and_close(asio::posix::stream_descriptor& d, int flags) {
  if (!d.is_open()) return;
  if (flags >= 0) ::fcntl(d.native_handle(), F_SETFL, flags);
  error_code ignored;
  d.close(ignored);
}

void StdioLocalStream::shutdown_send() { restore_and_close(output_, output_flags_); }

void StdioLocalStream::close() {
  restore_and_close(input_, input_flags_);
  restore_and_close(output_, output_flags_);
}

}  // namespace sshrelay::cli
