#include "native/client/local_stream.hpp"

#include <boost/asio/write.hpp>
#include <utility>

namespace sshrelay::client {
namespace asio = boost::asio;
using boost::system::error_code;

TcpLocalStream::TcpLocalStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // interactive SSH: no Nagle delay
}

void TcpLocalStream::async_read_some(asio::mutable_buffer buffer, Handler handler) {
  socket_.async_read_some(buffer, std::move(handler));
}

void TcpLocalStream::async_write(asio::const_buffer buffer, Handler handler) {
  asio::async_write(socket_, buffer, std::move(handler));
}

void TcpLocalStream::shutdown_send() {
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void TcpLocalStream::close() {
  error_code ignored;
  if (!socket_.is_open()) return;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

FdPairLocalStream::FdPairLocalStream(const asio::any_io_executor& strand, int input_fd, int output_fd)
    : input_(strand, input_fd), output_(strand, output_fd) {}

void FdPairLocalStream::async_read_some(asio::mutable_buffer buffer, Handler handler) {
  input_.async_read_some(buffer, std::move(handler));
}

void FdPairLocalStream::async_write(asio::const_buffer buffer, Handler handler) {
  asio::async_write(output_, buffer, std::move(handler));
}

void FdPairLocalStream::shutdown_send() {
  error_code ignored;
  output_.close(ignored);
}

void FdPairLocalStream::close() {
  error_code ignored;
  input_.close(ignored);
  output_.close(ignored);
}

}  // namespace sshrelay::client
