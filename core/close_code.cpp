#include "core/close_code.hpp"

namespace sshrelay {
namespace {

// The length of the well-formed UTF-8 sequence at the front of `text` (Unicode 15, table 3-7), or 0.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 == 0xe0) low = 0xa0;   // no overlong forms
    if (b0 == 0xed) high = 0x9f;  // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 == 0xf0) low = 0x90;   // no overlong forms
    if (b0 == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

}  // namespace

std::string close_reason_text(std::string_view reason) {
  static constexpr std::string_view kEllipsis = "...";
  std::string out;
  std::size_t last_fit = 0;  // the longest prefix that still leaves room for the ellipsis
  while (!reason.empty()) {
    const std::size_t length = utf8_sequence_length(reason);
    const std::size_t take = length == 0 ? 1 : length;
    if (out.size() + take > kMaxCloseReasonBytes) {
      out.resize(last_fit);
      return out + std::string(kEllipsis);
    }
    if (length == 0) {
      out.push_back('?');
    } else {
      out.append(reason.substr(0, length));
    }
    if (out.size() + kEllipsis.size() <= kMaxCloseReasonBytes) last_fit = out.size();
    reason.remove_prefix(take);
  }
  return out;
}

}  // namespace sshrelay
