#pragma once
// The local end of a tunnel: whatever the relayed SSH bytes come from and go to. Two kinds exist — a
// connected TCP socket (`sshrelay proxy --listen`, tests) and the process's stdin/stdout (ProxyCommand
// mode) — so RelayConnection talks to this small interface instead of being a template.
//
// Threading: the stream's executor must be a strand (or an io_context run by one thread). The
// RelayConnection driving the stream adopts that executor for everything it does, so every handler of
// one tunnel runs on one strand without extra wrapping.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <functional>

namespace sshrelay::client {

class LocalStream {
 public:
  using Handler = std::function<void(boost::system::error_code, std::size_t)>;

  virtual ~LocalStream() = default;

  virtual boost::asio::any_io_executor get_executor() = 0;
  // Reads at least one byte; asio::error::eof at end of input.
  virtual void async_read_some(boost::asio::mutable_buffer buffer, Handler handler) = 0;
  // Writes the whole buffer (or fails).
  virtual void async_write(boost::asio::const_buffer buffer, Handler handler) = 0;
  // Nothing more will be written: the peer reads EOF. Errors are ignored (the peer may be gone).
  virtual void shutdown_send() = 0;
  // Closes both directions; pending operations complete with operation_aborted. Idempotent.
  virtual void close() = 0;
};

// A connected TCP socket. Make its executor a strand: accept with
// `acceptor.async_accept(asio::make_strand(ioc), ...)` as LocalListener does.
class TcpLocalStream final : public LocalStream {
 public:
  explicit TcpLocalStream(boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor get_executor() override { return socket_.get_executor(); }
  void async_read_some(boost::asio::mutable_buffer buffer, Handler handler) override;
  void async_write(boost::asio::const_buffer buffer, Handler handler) override;
  void shutdown_send() override;
  void close() override;

  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::ip::tcp::socket socket_;
};

// Two descriptors, e.g. stdin and stdout for ProxyCommand mode. Takes ownership of both (pass dup()s to
// keep the originals); they must be pipes, sockets or terminals (epoll refuses regular files). A program
// using it must ignore SIGPIPE: writing to a pipe whose reader (ssh) exited raises it, and only then does
// the write fail with EPIPE (which ends the session with errc::local_side_closed).
class FdPairLocalStream final : public LocalStream {
 public:
  FdPairLocalStream(const boost::asio::any_io_executor& strand, int input_fd, int output_fd);

  boost::asio::any_io_executor get_executor() override { return input_.get_executor(); }
  void async_read_some(boost::asio::mutable_buffer buffer, Handler handler) override;
  void async_write(boost::asio::const_buffer buffer, Handler handler) override;
  void shutdown_send() override;
  void close() override;

 private:
  boost::asio::posix::stream_descriptor input_;
  boost::asio::posix::stream_descriptor output_;
};

}  // namespace sshrelay::client
