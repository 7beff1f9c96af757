#include "core/sftp/operation.hpp"

#include "core/common/text.hpp"

namespace sshrelay::sftp {

void Operation::end(OperationContext& ctx, FileEvent final_event) {
  if (ended_) return;
  ended_ = true;
  ctx.emit(std::move(final_event));
}

void Operation::cancel(OperationContext& ctx) { end(ctx, Cancelled{id_, {}}); }

void Operation::lost(OperationContext& ctx, const std::string& why) { end(ctx, Failed{id_, std::nullopt, why}); }

void Operation::fail(OperationContext& ctx, const StatusReply& status, const std::string& what) {
  end(ctx, Failed{id_, status.code, status_message(what, status)});
}

std::string status_message(const std::string& what, const StatusReply& status) {
  std::string words = status_words(status.code);
  std::string text = what.empty() ? words : what + ": " + words;
  // OpenSSH's messages mostly repeat the code ("Permission denied"); add the server's only when it
  // tells more.
  const std::string server = std::string(trim_space(status.message));
  if (!server.empty() && ascii_lower(server) != ascii_lower(words)) {
    const std::string lower = ascii_lower(server);
    const bool repeats = lower == "no such file" || lower == "failure" || lower == "success" || lower == "end of file" ||
                         lower == "bad message" || lower == "operation unsupported";
    if (!repeats) text += " (" + server + ")";
  }
  return text;
}

}  // namespace sshrelay::sftp
