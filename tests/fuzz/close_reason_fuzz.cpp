// Close-frame reasons (core/close_code.hpp). close_reason_text is compared with its documented rule,
// written out again here with a UTF-8 decoder of our own (Unicode table 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF): every byte outside a well-formed sequence becomes '?'; a result
// of at most kMaxCloseReasonBytes is returned whole, a longer one is cut at a character boundary to the
// longest prefix that fits with "..." appended. Checks also: the output is well-formed UTF-8 of at most
// kMaxCloseReasonBytes, and cleaning it again changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/wire/close_code.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

// Length of the well-formed sequence at text[at], or 0.
std::size_t sequence_at(std::string_view text, std::size_t at) {
  const auto b = [&](std::size_t i) { return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0u; };
  const unsigned lead = b(0);
  const auto cont = [&](std::size_t i) { return b(i) >= 0x80 && b(i) <= 0xbf; };
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const unsigned second = b(1);
    const bool ok = lead == 0xe0 ? second >= 0xa0 && second <= 0xbf
                    : lead == 0xed ? second >= 0x80 && second <= 0x9f
                                   : cont(1);
    return ok && cont(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const unsigned second = b(1);
    const bool ok = lead == 0xf0 ? second >= 0x90 && second <= 0xbf
                    : lead == 0xf4 ? second >= 0x80 && second <= 0x8f
                                   : cont(1);
    return ok && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// The text with '?' for stray bytes, and where each character starts in it.
std::string cleaned(std::string_view text, std::vector<std::size_t>& boundaries) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    boundaries.push_back(out.size());
    const std::size_t n = sequence_at(text, at);
    if (n == 0) {
      out.push_back('?');
      ++at;
    } else {
      out.append(text.substr(at, n));
      at += n;
    }
  }
  boundaries.push_back(out.size());
  return out;
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  const std::string_view text = as_text(data, size);
  const std::string reason = close_reason_text(text);
  std::vector<std::size_t> boundaries;
  const std::string expected_whole = cleaned(text, boundaries);
  if (expected_whole.size() <= kMaxCloseReasonBytes) {
    FUZZ_CHECK(reason == expected_whole);
  } else {
    std::size_t cut = 0;
    for (const auto boundary : boundaries) {
      if (boundary + 3 <= kMaxCloseReasonBytes) cut = boundary;
    }
    FUZZ_CHECK(reason == expected_whole.substr(0, cut) + "...");
  }
  FUZZ_CHECK(reason.size() <= kMaxCloseReasonBytes);
  std::vector<std::size_t> reason_boundaries;
  FUZZ_CHECK(cleaned(reason, reason_boundaries) == reason);  // well-formed UTF-8
  FUZZ_CHECK(close_reason_text(reason) == reason);
  return 0;
}
