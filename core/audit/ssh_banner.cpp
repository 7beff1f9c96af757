#include "core/audit/ssh_banner.hpp"

#include <algorithm>

namespace sshrelay {

void SshBannerCapture::feed(std::span<const std::uint8_t> bytes) {
  if (done_ || bytes.empty()) return;
  const auto take = std::min(bytes.size(), kLookBytes - pending_.size());
  pending_.append(reinterpret_cast<const char*>(bytes.data()), take);
  const auto newline = pending_.find('\n');
  if (newline == std::string::npos) {
    if (pending_.size() >= kLookBytes) {  // no line where a version line must be: none to report
      done_ = true;
      pending_.clear();
    }
    return;
  }
  std::size_t chars = 0;
  for (std::size_t i = 0; i < newline && chars < kMaxChars; ++i) {
    const auto c = static_cast<unsigned char>(pending_[i]);
    if (c == '\r') continue;
    if (c < 0x80) line_ += static_cast<char>(c);
    else line_ += "\xEF\xBF\xBD";  // U+FFFD, as a decoder with errors="replace" writes
    ++chars;
  }
  done_ = true;
  pending_.clear();
  pending_.shrink_to_fit();
}

}  // namespace sshrelay
