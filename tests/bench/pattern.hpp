#pragma once
// The byte pattern the benchmark target generates: byte at stream offset i is i % 251. 251 is prime, so
// a chunk lost, repeated or reordered at any power-of-two size breaks the pattern.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bench {

inline constexpr std::size_t kPatternPeriod = 251;

// 256 periods (64,256 bytes): writing it again and again continues the pattern without a seam.
inline const std::vector<std::uint8_t>& pattern_block() {
  static const std::vector<std::uint8_t> block = [] {
    std::vector<std::uint8_t> b(kPatternPeriod * 256);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i % kPatternPeriod);
    return b;
  }();
  return block;
}

// True when `bytes`, received at stream offset `offset`, follow the pattern.
inline bool pattern_matches(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  const auto& block = pattern_block();
  std::size_t phase = static_cast<std::size_t>(offset % kPatternPeriod);
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), block.size() - phase);
    for (std::size_t i = 0; i < n; ++i) {
      if (bytes[i] != block[phase + i]) return false;
    }
    bytes = bytes.subspan(n);
    phase = 0;
  }
  return true;
}

}  // namespace bench
