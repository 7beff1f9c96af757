#include "core/common/quote.hpp"

#include <algorithm>
#include <cstdio>

namespace sshrelay {

std::string quote(std::string_view text) {
  constexpr std::size_t kMaxQuotedLength = 80;
  std::string out = "\"";
  const std::size_t shown = std::min(text.size(), kMaxQuotedLength);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x7f || byte == '"' || byte == '\\') {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
      out += buffer;
    } else {
      out.push_back(static_cast<char>(byte));
    }
  }
  if (shown < text.size()) out += "...";
  out += "\"";
  return out;
}

}  // namespace sshrelay
