#pragma once
// A file read from the server: open, then READs of `chunk` bytes kept in flight, replies reordered into
// one in-order stream of DownloadData, short reads re-requested, end of file found by the server's EOF.
// The owner's consumed() calls open the window again (backpressure from wherever the bytes go).
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/sftp/operation.hpp"
#include "core/sftp/transfer_limits.hpp"

namespace sshrelay::sftp {

class Download final : public Operation {
 public:
  // Reads [0, limit): the whole file by default, or its first bytes for a preview.
  Download(OperationId id, std::string path, std::uint64_t limit, TransferLimits limits);

  void start(OperationContext& ctx) override;
  void on_reply(OperationContext& ctx, Reply& reply) override;
  void cancel(OperationContext& ctx) override;
  void lost(OperationContext& ctx, const std::string& why) override;
  // The owner has stored `n` more of the delivered bytes.
  void consumed(OperationContext& ctx, std::uint64_t n);

 private:
  struct Range {
    std::uint64_t offset;
    std::uint64_t length;
  };
  void on_read_reply(OperationContext& ctx, Range range, Reply& reply);
  void issue_reads(OperationContext& ctx);
  void deliver(OperationContext& ctx);
  void maybe_close(OperationContext& ctx);
  void close_handle(OperationContext& ctx);
  std::uint64_t end_offset() const { return eof_at_ < limit_ ? eof_at_ : limit_; }
  std::uint64_t held_bytes() const { return in_flight_bytes_ + buffered_bytes_ + unconsumed_; }

  std::string path_;
  std::uint64_t limit_;
  TransferLimits limits_;
  RequestId open_id_ = 0;
  RequestId fstat_id_ = 0;
  RequestId close_id_ = 0;
  std::string handle_;
  bool started_ = false;  // DownloadStarted emitted
  bool closing_ = false;
  bool complete_ = false;  // every byte up to the end delivered

  std::map<RequestId, Range> reads_;         // outstanding READs
  std::deque<Range> retries_;                // what short reads left out, asked again first
  std::map<std::uint64_t, std::vector<std::uint8_t>> arrived_;  // out of order, by offset
  std::uint64_t next_offset_ = 0;            // the next new READ starts here
  std::uint64_t delivered_ = 0;              // bytes handed to the owner, in order
  std::uint64_t eof_at_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t in_flight_bytes_ = 0;
  std::uint64_t buffered_bytes_ = 0;
  std::uint64_t unconsumed_ = 0;
};

}  // namespace sshrelay::sftp
