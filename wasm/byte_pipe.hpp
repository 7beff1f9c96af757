#pragma once
// The file descriptor libssh talks to. Emscripten has no socketpair and its poll() ignores timeouts, so
// this is an unconnected SOCKFS socket whose sock_ops are replaced from JS (sockfs_pipe.js) by functions
// over the queue below (design.md §7): libssh's recv() drains `inbound`, its send() hands bytes to the
// sink at once. Nothing here blocks; the owner steps libssh after pushing bytes in.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace sshrelay::wasm {

class BytePipe {
 public:
  // Receives every byte libssh sends; returns false when they cannot be taken (transport gone for good),
  // which libssh sees as EPIPE. libssh treats any failed send as fatal, so a sink must not refuse
  // bytes merely because it is busy.
  using Sink = std::function<bool(std::span<const std::uint8_t>)>;

  explicit BytePipe(Sink sink);
  ~BytePipe();
  BytePipe(const BytePipe&) = delete;
  BytePipe& operator=(const BytePipe&) = delete;

  int fd() const { return fd_; }  // -1 if the socket could not be made
  // --- transport side ---
  void push(std::span<const std::uint8_t> bytes);  // bytes that arrived for libssh
  void push_eof();                                 // no more bytes will arrive: libssh reads EOF
  std::size_t available() const { return inbound_.size() - head_; }
  // Whether a recv() would return something: bytes, or the EOF libssh has not seen yet.
  bool readable() const { return available() > 0 || (eof_ && !eof_seen_); }
  // Increases on every recv() that returned bytes or EOF: "did libssh read anything?".
  std::uint64_t reads() const { return reads_; }
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }

  // --- called from sockfs_pipe.js (through the extern "C" functions in byte_pipe.cpp) ---
  int poll_mask() const;
  // > 0: that many bytes at recv_data(); 0: EOF; -1: nothing yet (EAGAIN).
  int recv(int max_bytes);
  const std::uint8_t* recv_data() const { return recv_data_; }
  int send(const std::uint8_t* data, int length);  // length, or -1 (EPIPE)
  void fd_closed() { fd_open_ = false; }

 private:
  Sink sink_;
  int fd_ = -1;
  bool fd_open_ = false;
  std::vector<std::uint8_t> inbound_;
  std::size_t head_ = 0;  // bytes of inbound_ before head_ were read already
  bool eof_ = false;
  bool eof_seen_ = false;  // libssh read the EOF (counted in reads_ once)
  const std::uint8_t* recv_data_ = nullptr;
  std::uint64_t reads_ = 0;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace sshrelay::wasm
