#include "wasm/byte_pipe.hpp"

#include <emscripten/emscripten.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

extern "C" {
// Implemented in sockfs_pipe.js: swaps the sock_ops of SOCKFS socket `fd` for the pipe's.
int sshrelay_pipe_attach(int fd, sshrelay::wasm::BytePipe* pipe);
}

namespace sshrelay::wasm {

BytePipe::BytePipe(Sink sink) : sink_(std::move(sink)) {
  // An unconnected SOCKFS socket: it only lends its fd, stream and SOCKFS node to the JS ops.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return;
  if (sshrelay_pipe_attach(fd, this) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
  fd_open_ = true;
}

BytePipe::~BytePipe() {
  // libssh never closes a descriptor given with SSH_OPTIONS_FD on disconnect, but it does close it
  // after a socket error or EOF; close it here only if nobody did, so a reused number is not hit.
  if (fd_open_) ::close(fd_);
}

void BytePipe::push(std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || eof_) return;
  // Compact when everything was read or the read part dominates; amortized O(1) per byte.
  if (head_ == inbound_.size()) {
    inbound_.clear();
    head_ = 0;
  } else if (head_ > 65536 && head_ * 2 > inbound_.size()) {
    inbound_.erase(inbound_.begin(), inbound_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  inbound_.insert(inbound_.end(), bytes.begin(), bytes.end());
}

void BytePipe::push_eof() { eof_ = true; }

int BytePipe::poll_mask() const {
  int mask = POLLOUT;  // a send never blocks: the sink takes everything
  if (available() > 0) mask |= POLLIN | POLLRDNORM;
  if (eof_) mask |= POLLIN | POLLHUP;  // libssh reads the EOF and closes the session
  return mask;
}

int BytePipe::recv(int max_bytes) {
  const std::size_t n = std::min(available(), static_cast<std::size_t>(std::max(max_bytes, 0)));
  if (n == 0) {
    if (eof_) {
      if (!eof_seen_) ++reads_;
      eof_seen_ = true;
      return 0;
    }
    return -1;
  }
  // Valid until the next push(); sockfs_pipe.js copies it out before any C++ code runs again.
  recv_data_ = inbound_.data() + head_;
  head_ += n;
  ++reads_;
  bytes_in_ += n;
  return static_cast<int>(n);
}

int BytePipe::send(const std::uint8_t* data, int length) {
  if (length <= 0) return 0;
  if (!sink_(std::span<const std::uint8_t>(data, static_cast<std::size_t>(length)))) return -1;
  bytes_out_ += static_cast<std::uint64_t>(length);
  return length;
}

}  // namespace sshrelay::wasm

// The hooks sockfs_pipe.js calls. The pipe pointer travels through JS as a plain number.
extern "C" {
using sshrelay::wasm::BytePipe;
EMSCRIPTEN_KEEPALIVE int sshrelay_pipe_poll(BytePipe* pipe) { return pipe->poll_mask(); }
EMSCRIPTEN_KEEPALIVE int sshrelay_pipe_recv(BytePipe* pipe, int max_bytes) { return pipe->recv(max_bytes); }
EMSCRIPTEN_KEEPALIVE const std::uint8_t* sshrelay_pipe_recv_data(BytePipe* pipe) { return pipe->recv_data(); }
EMSCRIPTEN_KEEPALIVE int sshrelay_pipe_send(BytePipe* pipe, const std::uint8_t* data, int length) {
  return pipe->send(data, length);
}
EMSCRIPTEN_KEEPALIVE void sshrelay_pipe_closed(BytePipe* pipe) { pipe->fd_closed(); }
}
