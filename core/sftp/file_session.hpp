#pragma once
// File operations over one SFTP channel, sans I/O: what the page's file panel and the tests call. The
// owner moves bytes between the channel and on_bytes()/take_output(), starts operations, and pulls
// FileEvents; each operation ends with exactly one Done, Failed or Cancelled. Any number of operations
// run at once over the one channel, each transfer with its own window (see TransferLimits).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "core/common/result.hpp"
#include "core/sftp/file_events.hpp"
#include "core/sftp/operation.hpp"
#include "core/sftp/sftp_client.hpp"
#include "core/sftp/transfer_limits.hpp"

namespace sshrelay::sftp {

struct FileSessionConfig {
  TransferLimits transfer;
  std::size_t max_listing = 100000;  // entries; a larger folder fails with a message saying so
  ClientLimits client;
};

class FileSession {
 public:
  explicit FileSession(FileSessionConfig config = {});

  // Queues the SFTP INIT; operations may be started at once.
  void start();
  // Bytes from the channel. An error (the server broke the protocol) is final: every operation has
  // then ended with Failed.
  Status on_bytes(std::span<const std::uint8_t> bytes);
  // The channel closed or broke: every operation ends with Failed, saying `why`.
  void on_channel_lost(const std::string& why);
  std::vector<std::uint8_t> take_output() { return client_.take_output(); }
  std::size_t pending_output() const { return client_.pending_output(); }
  std::optional<FileEvent> next_event();

  bool ready() const { return client_.ready(); }
  bool failed() const { return failure_.has_value(); }
  const std::string& failure() const { return *failure_; }
  const std::map<std::string, std::string>& extensions() const { return client_.extensions(); }
  std::size_t active() const { return operations_.size(); }
  std::size_t requests_in_flight() const { return client_.in_flight(); }

  OperationId list(const std::string& path);
  OperationId realpath(const std::string& path);
  OperationId stat(const std::string& path);
  OperationId mkdir(const std::string& path);
  OperationId rmdir(const std::string& path);
  OperationId remove(const std::string& path);
  // Fails if `to` exists (SFTP v3's rename never replaces).
  OperationId rename(const std::string& from, const std::string& to);
  // The file's bytes [0, limit) as DownloadData events; consumed() after storing each.
  OperationId download(const std::string& path, std::uint64_t limit = std::numeric_limits<std::uint64_t>::max());
  Status consumed(OperationId op, std::uint64_t n);
  // Creates or truncates `path`; push bytes while upload_room() allows, then upload_finish().
  OperationId upload(const std::string& path);
  std::size_t upload_room(OperationId op) const;
  Status upload_push(OperationId op, std::span<const std::uint8_t> bytes);
  Status upload_finish(OperationId op);
  // Stops an operation; it ends with Cancelled (an upload's partial file is removed). Unknown or
  // ended operations are left as they are.
  void cancel(OperationId op);

 private:
  OperationId add(std::unique_ptr<Operation> operation);
  Operation* find(OperationId op) const;
  template <class T>
  T* find_as(OperationId op) const {
    return dynamic_cast<T*>(find(op));
  }
  void route_replies();
  void retire(OperationId op);
  void fail_all(const std::string& why);
  OperationContext context() { return {client_, owners_, events_}; }

  FileSessionConfig config_;
  Client client_;
  std::map<OperationId, std::unique_ptr<Operation>> operations_;
  std::unordered_map<RequestId, OperationId> owners_;
  std::deque<FileEvent> events_;
  OperationId next_op_ = 1;
  std::optional<std::string> failure_;
};

}  // namespace sshrelay::sftp
