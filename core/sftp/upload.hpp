#pragma once
// A file written to the server: open (create or truncate), the owner's bytes cut into WRITEs of `chunk`
// bytes kept in flight, then close. Progress is the prefix the server has confirmed. A failure or a
// lost channel says how much of the file is on the server; a cancel removes the partial file.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/sftp/operation.hpp"
#include "core/sftp/transfer_limits.hpp"

namespace sshrelay::sftp {

class Upload final : public Operation {
 public:
  Upload(OperationId id, std::string path, TransferLimits limits);

  void start(OperationContext& ctx) override;
  void on_reply(OperationContext& ctx, Reply& reply) override;
  void cancel(OperationContext& ctx) override;
  void lost(OperationContext& ctx, const std::string& why) override;

  // How many bytes push() takes now (0 until the file is open, and after finish()).
  std::size_t room() const;
  Status push(OperationContext& ctx, std::span<const std::uint8_t> bytes);
  // No more bytes: once the last WRITE is confirmed the file is closed, then Done.
  Status finish(OperationContext& ctx);

 private:
  void send_writes(OperationContext& ctx);
  void maybe_close(OperationContext& ctx);
  void close_handle(OperationContext& ctx);
  void report_progress(OperationContext& ctx);
  void fail_with(OperationContext& ctx, std::optional<StatusCode> code, const std::string& why);
  std::string left_behind() const;
  std::size_t queued() const { return queue_.size() - queue_head_; }

  std::string path_;
  TransferLimits limits_;
  RequestId open_id_ = 0;
  RequestId close_id_ = 0;
  RequestId remove_id_ = 0;
  std::string handle_;
  bool finishing_ = false;
  bool closing_ = false;
  bool cancelling_ = false;
  bool failed_ = false;

  std::vector<std::uint8_t> queue_;  // pushed, not yet written
  std::size_t queue_head_ = 0;
  std::map<RequestId, std::uint64_t> writes_;  // outstanding WRITEs: their offsets
  std::map<std::uint64_t, std::uint64_t> write_lengths_;  // the same WRITEs by offset (smallest first)
  std::uint64_t sent_ = 0;       // bytes handed to WRITEs
  std::uint64_t confirmed_ = 0;  // the prefix the server has confirmed
  std::uint64_t reported_ = 0;   // the last UploadProgress
  std::uint64_t in_flight_bytes_ = 0;
};

}  // namespace sshrelay::sftp
