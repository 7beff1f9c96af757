#pragma once
// The bytes each side of a fuzzed stream sends: byte i of a stream is table[(i + salt) % period], from a
// fixed pseudo-random table whose length is a prime, so no frame or send size lines up with it and a
// byte delivered twice, skipped or out of order shows up as a mismatch. Filling and checking are
// memcpy/memcmp over the table, cheap enough for megabytes per input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace sshrelay::fuzz {

class BytePattern {
 public:
  static constexpr std::size_t kPeriod = 65521;

  explicit BytePattern(std::uint32_t salt) : salt_(salt) {}

  void fill(std::uint64_t offset, std::span<std::uint8_t> out) const {
    for_each_segment(offset, out.size(), [&](std::size_t at, const std::uint8_t* expected, std::size_t n) {
      std::memcpy(out.data() + at, expected, n);
      return true;
    });
  }

  bool matches(std::uint64_t offset, std::span<const std::uint8_t> bytes) const {
    return for_each_segment(offset, bytes.size(), [&](std::size_t at, const std::uint8_t* expected, std::size_t n) {
      return std::memcmp(bytes.data() + at, expected, n) == 0;
    });
  }

 private:
  // The table twice over, so any run of up to kPeriod bytes is contiguous.
  static const std::vector<std::uint8_t>& table() {
    static const std::vector<std::uint8_t> doubled = [] {
      std::vector<std::uint8_t> t(2 * kPeriod);
      std::uint32_t state = 0x2545f491u;
      for (std::size_t i = 0; i < kPeriod; ++i) {
        state = state * 1664525u + 1013904223u;
        t[i] = t[i + kPeriod] = static_cast<std::uint8_t>(state >> 24);
      }
      return t;
    }();
    return doubled;
  }

  template <class Visit>
  bool for_each_segment(std::uint64_t offset, std::size_t size, Visit visit) const {
    std::size_t start = static_cast<std::size_t>((offset + salt_) % kPeriod);
    for (std::size_t at = 0; at < size;) {
      const std::size_t n = std::min(size - at, kPeriod);
      if (!visit(at, table().data() + start, n)) return false;
      at += n;
      start = (start + n) % kPeriod;
    }
    return true;
  }

  std::uint32_t salt_;
};

}  // namespace sshrelay::fuzz
