#include "core/sftp/download.hpp"

#include <algorithm>
#include <variant>

namespace sshrelay::sftp {

Download::Download(OperationId id, std::string path, std::uint64_t limit, TransferLimits limits)
    : Operation(id), path_(std::move(path)), limit_(limit), limits_(limits) {}

void Download::start(OperationContext& ctx) { open_id_ = track(ctx, ctx.client().open(path_, open_flag::read)); }

void Download::close_handle(OperationContext& ctx) {
  if (handle_.empty() || closing_) return;
  closing_ = true;
  close_id_ = track(ctx, ctx.client().close(handle_));
}

void Download::cancel(OperationContext& ctx) {
  retries_.clear();
  close_handle(ctx);  // READs already out are answered before the close; their replies are dropped
  end(ctx, Cancelled{id(), {}});
}

void Download::lost(OperationContext& ctx, const std::string& why) {
  end(ctx, Failed{id(), std::nullopt,
                  "downloading " + path_ + ": " + why + " after " + std::to_string(delivered_) + " bytes"});
}

void Download::consumed(OperationContext& ctx, std::uint64_t n) {
  unconsumed_ -= std::min(n, unconsumed_);
  issue_reads(ctx);
}

void Download::on_reply(OperationContext& ctx, Reply& reply) {
  if (reply.id == close_id_) {
    // The whole file was delivered: done, whatever the close says (nothing was written).
    if (complete_) end(ctx, Done{id(), delivered_});
    return;
  }
  if (reply.id == open_id_) {
    if (auto* handle = std::get_if<HandleReply>(&reply.body)) {
      handle_ = std::move(handle->handle);
      if (ended()) return close_handle(ctx);  // cancelled while opening
      fstat_id_ = track(ctx, ctx.client().fstat(handle_));
      issue_reads(ctx);
    } else if (auto* status = std::get_if<StatusReply>(&reply.body)) {
      fail(ctx, *status, "downloading " + path_);
    } else {
      end(ctx, Failed{id(), std::nullopt, "downloading " + path_ + ": the server sent an unexpected reply"});
    }
    return;
  }
  if (reply.id == fstat_id_) {
    if (ended()) return;
    std::optional<std::uint64_t> size;
    if (auto* attrs = std::get_if<AttrsReply>(&reply.body)) size = attrs->attrs.size;
    if (size && *size < limit_) size = *size;
    else if (size) size = limit_;
    started_ = true;
    ctx.emit(DownloadStarted{id(), size});
    deliver(ctx);
    maybe_close(ctx);
    return;
  }
  auto it = reads_.find(reply.id);
  if (it == reads_.end()) return;
  const Range range = it->second;
  reads_.erase(it);
  in_flight_bytes_ -= range.length;
  if (ended()) return;
  on_read_reply(ctx, range, reply);
  if (ended()) return;
  deliver(ctx);
  issue_reads(ctx);
  maybe_close(ctx);
}

void Download::on_read_reply(OperationContext& ctx, Range range, Reply& reply) {
  if (auto* data = std::get_if<DataReply>(&reply.body)) {
    const std::uint64_t n = data->data.size();
    if (n > range.length) {
      close_handle(ctx);
      end(ctx, Failed{id(), std::nullopt, "downloading " + path_ + ": the server sent more than was asked for"});
      return;
    }
    if (n == 0) {
      eof_at_ = std::min(eof_at_, range.offset);
      return;
    }
    if (n < range.length) retries_.push_back({range.offset + n, range.length - n});
    buffered_bytes_ += n;
    arrived_.emplace(range.offset, std::move(data->data));
    return;
  }
  if (auto* status = std::get_if<StatusReply>(&reply.body)) {
    if (status->code == StatusCode::eof) {
      eof_at_ = std::min(eof_at_, range.offset);
      return;
    }
    close_handle(ctx);
    fail(ctx, *status, "downloading " + path_ + " (at byte " + std::to_string(range.offset) + ")");
    return;
  }
  close_handle(ctx);
  end(ctx, Failed{id(), std::nullopt, "downloading " + path_ + ": the server sent an unexpected reply"});
}

void Download::issue_reads(OperationContext& ctx) {
  if (handle_.empty() || closing_ || ended()) return;
  while (reads_.size() < limits_.requests_in_flight && held_bytes() + limits_.chunk <= limits_.window) {
    Range range{};
    if (!retries_.empty()) {
      range = retries_.front();
      retries_.pop_front();
      if (range.offset >= end_offset()) continue;
    } else if (next_offset_ < end_offset()) {
      range = {next_offset_, std::min<std::uint64_t>(limits_.chunk, end_offset() - next_offset_)};
      next_offset_ += range.length;
    } else {
      return;
    }
    reads_.emplace(track(ctx, ctx.client().read(handle_, range.offset, static_cast<std::uint32_t>(range.length))),
                   range);
    in_flight_bytes_ += range.length;
  }
}

void Download::deliver(OperationContext& ctx) {
  if (!started_) return;
  for (auto it = arrived_.begin(); it != arrived_.end() && it->first == delivered_; it = arrived_.begin()) {
    const std::uint64_t n = it->second.size();
    buffered_bytes_ -= n;
    unconsumed_ += n;
    ctx.emit(DownloadData{id(), delivered_, std::move(it->second)});
    delivered_ += n;
    arrived_.erase(it);
  }
}

void Download::maybe_close(OperationContext& ctx) {
  if (!started_ || closing_ || ended() || !reads_.empty() || !retries_.empty()) return;
  if (delivered_ < end_offset()) return;  // more to come
  // Anything still held lies beyond the server's end of file (the file shrank while being read): what
  // was delivered is a consistent prefix, so it is dropped.
  arrived_.clear();
  complete_ = true;
  close_handle(ctx);
}

}  // namespace sshrelay::sftp
