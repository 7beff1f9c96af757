#include "core/sftp/upload.hpp"

#include <algorithm>
#include <variant>

namespace sshrelay::sftp {

Upload::Upload(OperationId id, std::string path, TransferLimits limits)
    : Operation(id), path_(std::move(path)), limits_(limits) {}

void Upload::start(OperationContext& ctx) {
  open_id_ = track(ctx, ctx.client().open(path_, open_flag::write | open_flag::create | open_flag::truncate));
}

std::size_t Upload::room() const {
  if (handle_.empty() || finishing_ || closing_ || cancelling_ || ended()) return 0;
  const std::uint64_t held = queued() + in_flight_bytes_;
  return held >= limits_.window ? 0 : static_cast<std::size_t>(limits_.window - held);
}

Status Upload::push(OperationContext& ctx, std::span<const std::uint8_t> bytes) {
  if (bytes.size() > room()) {
    return local_error("uploading " + path_ + ": " + std::to_string(bytes.size()) + " bytes pushed with room for " +
                       std::to_string(room()));
  }
  if (queue_head_ > 0 && queue_head_ >= queue_.size() / 2) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
    queue_head_ = 0;
  }
  queue_.insert(queue_.end(), bytes.begin(), bytes.end());
  send_writes(ctx);
  return Ok{};
}

Status Upload::finish(OperationContext& ctx) {
  if (ended() || cancelling_) return local_error("uploading " + path_ + ": finish() after the upload ended");
  finishing_ = true;
  send_writes(ctx);
  maybe_close(ctx);
  return Ok{};
}

std::string Upload::left_behind() const {
  if (handle_.empty()) return "nothing was written";
  return "the file on the server is incomplete (" + std::to_string(confirmed_) + " bytes written)";
}

void Upload::fail_with(OperationContext& ctx, std::optional<StatusCode> code, const std::string& why) {
  failed_ = true;
  queue_.clear();
  queue_head_ = 0;
  close_handle(ctx);
  end(ctx, Failed{id(), code, "uploading " + path_ + ": " + why + "; " + left_behind()});
}

void Upload::lost(OperationContext& ctx, const std::string& why) {
  end(ctx, Failed{id(), std::nullopt, "uploading " + path_ + ": " + why + "; " + left_behind()});
}

void Upload::cancel(OperationContext& ctx) {
  if (ended() || cancelling_) return;
  cancelling_ = true;
  queue_.clear();
  queue_head_ = 0;
  if (handle_.empty()) {
    // Still opening: the open's reply decides (a handle is closed and the file removed).
    return;
  }
  close_handle(ctx);  // WRITEs already out are answered first; then the partial file is removed
}

void Upload::close_handle(OperationContext& ctx) {
  if (handle_.empty() || closing_) return;
  closing_ = true;
  close_id_ = track(ctx, ctx.client().close(handle_));
}

void Upload::on_reply(OperationContext& ctx, Reply& reply) {
  auto* status = std::get_if<StatusReply>(&reply.body);
  if (reply.id == open_id_) {
    if (auto* handle = std::get_if<HandleReply>(&reply.body)) {
      handle_ = std::move(handle->handle);
      if (cancelling_) return close_handle(ctx);
      // Nothing confirmed yet, but the file is open: the owner may push now.
      ctx.emit(UploadProgress{id(), 0});
      maybe_close(ctx);  // an empty file that was finished before it opened
    } else if (cancelling_) {
      end(ctx, Cancelled{id(), "nothing was written"});
    } else if (status) {
      failed_ = true;
      fail(ctx, *status, "uploading " + path_);
    } else {
      end(ctx, Failed{id(), std::nullopt, "uploading " + path_ + ": the server sent an unexpected reply"});
    }
    return;
  }
  if (reply.id == close_id_) {
    if (cancelling_) {
      remove_id_ = track(ctx, ctx.client().remove(path_));
    } else if (!ended() && status && status->code == StatusCode::ok) {
      report_progress(ctx);
      end(ctx, Done{id(), confirmed_});
    } else if (!ended()) {
      fail_with(ctx, status ? std::optional(status->code) : std::nullopt,
                status ? "closing the file: " + status_words(status->code) : "closing the file: an unexpected reply");
    }
    return;
  }
  if (reply.id == remove_id_) {
    const bool removed = status && status->code == StatusCode::ok;
    end(ctx, Cancelled{id(), removed ? "the partial file was removed"
                                     : "the partial file could not be removed (" + std::to_string(confirmed_) +
                                           " bytes written)"});
    return;
  }
  auto it = writes_.find(reply.id);
  if (it == writes_.end()) return;
  const std::uint64_t offset = it->second;
  writes_.erase(it);
  const std::uint64_t length = write_lengths_[offset];
  write_lengths_.erase(offset);
  in_flight_bytes_ -= length;
  confirmed_ = write_lengths_.empty() ? sent_ : write_lengths_.begin()->first;
  if (failed_ || ended() || cancelling_) return;
  if (!status || status->code != StatusCode::ok) {
    const auto code = status ? std::optional(status->code) : std::nullopt;
    // The server's "Failure" on a WRITE is most often a full disk; say that it may be.
    std::string why = status ? status_message("", *status) : "an unexpected reply";
    if (code == StatusCode::failure) why += " (the disk may be full)";
    confirmed_ = std::min(confirmed_, offset);
    return fail_with(ctx, code, "writing at byte " + std::to_string(offset) + ": " + why);
  }
  report_progress(ctx);
  send_writes(ctx);
  maybe_close(ctx);
}

void Upload::report_progress(OperationContext& ctx) {
  if (confirmed_ == reported_) return;
  reported_ = confirmed_;
  ctx.emit(UploadProgress{id(), confirmed_});
}

void Upload::send_writes(OperationContext& ctx) {
  if (handle_.empty() || closing_ || ended()) return;
  while (writes_.size() < limits_.requests_in_flight && (queued() >= limits_.chunk || (finishing_ && queued() > 0))) {
    const std::size_t n = std::min<std::size_t>(queued(), limits_.chunk);
    const std::span<const std::uint8_t> chunk(queue_.data() + queue_head_, n);
    const RequestId wid = track(ctx, ctx.client().write(handle_, sent_, chunk));
    writes_.emplace(wid, sent_);
    write_lengths_.emplace(sent_, n);
    sent_ += n;
    in_flight_bytes_ += n;
    queue_head_ += n;
  }
  if (queue_head_ == queue_.size()) {
    queue_.clear();
    queue_head_ = 0;
  }
}

void Upload::maybe_close(OperationContext& ctx) {
  if (!finishing_ || handle_.empty() || queued() > 0 || !writes_.empty()) return;
  close_handle(ctx);
}

}  // namespace sshrelay::sftp
