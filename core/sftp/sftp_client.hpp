#pragma once
// The SFTP v3 client protocol, sans I/O: requests become bytes to send on the SSH channel (take_output),
// bytes read from the channel become replies matched to their request ids (next_reply). Many requests
// may be in flight; the server answers each once, in any order. A peer that breaks the protocol (an
// oversized or malformed packet, a reply to no request) puts the client in a failed state for good.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/common/result.hpp"
#include "core/sftp/sftp_wire.hpp"

namespace sshrelay::sftp {

using RequestId = std::uint32_t;

struct StatusReply {
  StatusCode code = StatusCode::ok;
  std::string message;  // the server's words, often only the code's name
};
struct HandleReply {
  std::string handle;
};
struct DataReply {
  std::vector<std::uint8_t> data;
};
struct NameReply {
  struct Entry {
    std::string filename;
    std::string longname;  // ls -l style line from the server (informational)
    FileAttributes attrs;
  };
  std::vector<Entry> entries;
};
struct AttrsReply {
  FileAttributes attrs;
};
struct ExtendedReply {
  std::vector<std::uint8_t> data;
};

struct Reply {
  RequestId id = 0;
  std::variant<StatusReply, HandleReply, DataReply, NameReply, AttrsReply, ExtendedReply> body;
};

struct ClientLimits {
  // Larger incoming packets are a protocol error. OpenSSH's sftp-server sends at most 256 KiB.
  std::size_t max_packet = 1024 * 1024;
};

class Client {
 public:
  explicit Client(ClientLimits limits = {});

  // Queues SSH_FXP_INIT. Requests may follow at once: the server reads them in order after INIT.
  void start();

  // Bytes from the channel. An error is the peer's (remote_protocol) and final.
  Status on_bytes(std::span<const std::uint8_t> bytes);

  // Bytes to write to the channel, in order; the caller takes them all.
  std::vector<std::uint8_t> take_output();
  std::size_t pending_output() const { return out_.size(); }

  std::optional<Reply> next_reply();

  bool ready() const { return version_.has_value(); }  // the server's VERSION has arrived
  std::optional<std::uint32_t> version() const { return version_; }
  // Extensions the server announced with its VERSION ("posix-rename@openssh.com" -> "1", ...).
  const std::map<std::string, std::string>& extensions() const { return extensions_; }
  bool failed() const { return failure_.has_value(); }
  const std::string& failure() const { return *failure_; }
  std::size_t in_flight() const { return outstanding_.size(); }

  // Requests: each returns the id its reply will carry.
  RequestId open(std::string_view path, std::uint32_t flags, const FileAttributes& attrs = {});
  RequestId close(std::string_view handle);
  RequestId read(std::string_view handle, std::uint64_t offset, std::uint32_t length);
  RequestId write(std::string_view handle, std::uint64_t offset, std::span<const std::uint8_t> data);
  RequestId stat(std::string_view path);
  RequestId lstat(std::string_view path);
  RequestId fstat(std::string_view handle);
  RequestId setstat(std::string_view path, const FileAttributes& attrs);
  RequestId opendir(std::string_view path);
  RequestId readdir(std::string_view handle);
  RequestId remove(std::string_view path);
  RequestId mkdir(std::string_view path, const FileAttributes& attrs = {});
  RequestId rmdir(std::string_view path);
  RequestId realpath(std::string_view path);
  RequestId rename(std::string_view from, std::string_view to);
  RequestId readlink(std::string_view path);

 private:
  RequestId path_request(PacketType type, std::string_view path);
  RequestId send(PacketWriter& writer, RequestId id);
  PacketWriter request(PacketType type, RequestId& id, std::size_t reserve = 64);
  Status parse_packet(std::span<const std::uint8_t> body);
  Status fail(std::string message);

  ClientLimits limits_;
  std::vector<std::uint8_t> in_;
  std::size_t in_head_ = 0;
  std::vector<std::uint8_t> out_;
  std::deque<Reply> replies_;
  std::unordered_set<RequestId> outstanding_;
  RequestId next_id_ = 1;
  std::optional<std::uint32_t> version_;
  std::map<std::string, std::string> extensions_;
  std::optional<std::string> failure_;
};

}  // namespace sshrelay::sftp
