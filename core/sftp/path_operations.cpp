#include "core/sftp/path_operations.hpp"

#include <variant>

namespace sshrelay::sftp {

std::string PathOperation::what() const {
  switch (kind_) {
    case Kind::realpath: return "resolving " + path_;
    case Kind::stat: return path_;
    case Kind::mkdir: return "creating folder " + path_;
    case Kind::rmdir: return "deleting folder " + path_;
    case Kind::remove: return "deleting " + path_;
    case Kind::rename: return "renaming " + path_ + " to " + to_;
  }
  return path_;
}

void PathOperation::start(OperationContext& ctx) {
  Client& c = ctx.client();
  switch (kind_) {
    case Kind::realpath: track(ctx, c.realpath(path_)); break;
    case Kind::stat: track(ctx, c.stat(path_)); break;
    case Kind::mkdir: track(ctx, c.mkdir(path_)); break;
    case Kind::rmdir: track(ctx, c.rmdir(path_)); break;
    case Kind::remove: track(ctx, c.remove(path_)); break;
    case Kind::rename: track(ctx, c.rename(path_, to_)); break;
  }
}

void PathOperation::on_reply(OperationContext& ctx, Reply& reply) {
  if (ended()) return;  // cancelled while the request was out: the reply has no one to tell
  if (auto* status = std::get_if<StatusReply>(&reply.body)) {
    if (status->code == StatusCode::ok && kind_ != Kind::realpath && kind_ != Kind::stat) {
      end(ctx, Done{id()});
    } else {
      fail(ctx, *status, what());
    }
    return;
  }
  if (auto* names = std::get_if<NameReply>(&reply.body); names && kind_ == Kind::realpath) {
    if (names->entries.size() != 1) {
      end(ctx, Failed{id(), std::nullopt, what() + ": the server answered with " +
                                              std::to_string(names->entries.size()) + " names"});
      return;
    }
    ctx.emit(Resolved{id(), names->entries.front().filename});
    end(ctx, Done{id()});
    return;
  }
  if (auto* attrs = std::get_if<AttrsReply>(&reply.body); attrs && kind_ == Kind::stat) {
    ctx.emit(Stated{id(), attrs->attrs});
    end(ctx, Done{id()});
    return;
  }
  end(ctx, Failed{id(), std::nullopt, what() + ": the server sent an unexpected reply"});
}

void ListOperation::start(OperationContext& ctx) { track(ctx, ctx.client().opendir(path_)); }

void ListOperation::close_handle(OperationContext& ctx) {
  if (handle_.empty() || closing_) return;
  closing_ = true;
  close_id_ = track(ctx, ctx.client().close(handle_));
}

void ListOperation::cancel(OperationContext& ctx) {
  close_handle(ctx);
  Operation::cancel(ctx);
}

void ListOperation::on_reply(OperationContext& ctx, Reply& reply) {
  if (ended() && !closing_ && !std::holds_alternative<HandleReply>(reply.body)) return;
  if (closing_) {
    // The reply to close, or to a readdir sent before it: the listing is already decided.
    // Only the close's reply ends it (a readdir's never does: it was sent before the close). The
    // listing is complete whatever the close says.
    if (ended() || !std::holds_alternative<StatusReply>(reply.body) || reply.id != close_id_) return;
    ctx.emit(Listed{id(), std::move(entries_)});
    end(ctx, Done{id()});
    return;
  }
  if (auto* handle = std::get_if<HandleReply>(&reply.body); handle && handle_.empty()) {
    handle_ = std::move(handle->handle);
    if (ended()) return close_handle(ctx);  // cancelled while opening: free the server's handle
    track(ctx, ctx.client().readdir(handle_));
    return;
  }
  if (auto* names = std::get_if<NameReply>(&reply.body); names && !handle_.empty()) {
    for (auto& entry : names->entries) {
      if (entry.filename == "." || entry.filename == "..") continue;
      entries_.push_back({std::move(entry.filename), std::move(entry.longname), std::move(entry.attrs)});
    }
    if (entries_.size() > max_entries_) {
      close_handle(ctx);
      end(ctx, Failed{id(), std::nullopt,
                      "listing " + path_ + ": more than " + std::to_string(max_entries_) + " entries"});
      return;
    }
    track(ctx, ctx.client().readdir(handle_));
    return;
  }
  if (auto* status = std::get_if<StatusReply>(&reply.body)) {
    if (status->code == StatusCode::eof && !handle_.empty()) {
      // Listed once the handle is closed, so a listing that ends also frees the server's handle.
      close_handle(ctx);
      return;
    }
    close_handle(ctx);
    fail(ctx, *status, "listing " + path_);
    return;
  }
  close_handle(ctx);
  end(ctx, Failed{id(), std::nullopt, "listing " + path_ + ": the server sent an unexpected reply"});
}

}  // namespace sshrelay::sftp
