#pragma once
// stdin/stdout as the local side of a tunnel (ProxyCommand mode). Like the client library's
// FdPairLocalStream, plus what a long-lived ProxyCommand needs:
// - it notices when the reader of its output goes away (ssh exited without telling us), even while no
//   byte is being written, so the session is closed instead of lingering until the relay's next write;
// - it puts back the descriptors' file status flags (Asio makes them non-blocking, and a terminal shares
//   that flag with the user's shell).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>

#include "native/client/local_stream.hpp"

namespace sshrelay::cli {

class StdioLocalStream final : public client::LocalStream {
 public:
  // Takes ownership of both descriptors (pass dup()s). Pipes, sockets, terminals, regular files and
  // /dev/null all work (Asio falls back to plain reads and writes where epoll refuses a descriptor).
  StdioLocalStream(const boost::asio::any_io_executor& strand, int input_fd, int output_fd);
  ~StdioLocalStream() override;

  boost::asio::any_io_executor get_executor() override { return input_.get_executor(); }
  void async_read_some(boost::asio::mutable_buffer buffer, Handler handler) override;
  void async_write(boost::asio::const_buffer buffer, Handler handler) override;
  void shutdown_send() override;
  void close() override;

  // Calls `gone` once if the output's reader goes away (a pipe whose read end was closed) while the
  // output is open. Outputs that cannot tell (files, terminals) never call it. Call on the strand, once.
  void watch_output(std::function<void()> gone);

 private:
  static void restore_and_close(boost::asio::posix::stream_descriptor& d, int flags);

  boost::asio::posix::stream_descriptor input_;
  boost::asio::posix::stream_descriptor output_;
  int input_flags_ = -1;
  int output_flags_ = -1;
};

}  // namespace sshrelay::cli
