#include "native/cli/console.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace sshrelay::cli {

void Console::error(std::string_view line) { write_line(line); }

void Console::info(std::string_view line) {
  if (!quiet_) write_line(line);
}

void Console::progress(std::string_view line) {
  if (verbose_) write_line(line);
}

void Console::write_line(std::string_view line) {
  std::string text = "sshrelay: ";
  text.append(line);
  // One line, one message: control characters from a peer (a close reason) must not forge others.
  for (auto& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = ' ';
  }
  text += '\n';
  std::lock_guard lock(mutex_);
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const auto n = ::write(STDERR_FILENO, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing else to tell anyone
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace sshrelay::cli
