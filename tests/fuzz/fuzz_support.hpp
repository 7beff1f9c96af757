#pragma once
// What every fuzz target shares: FUZZ_CHECK, which stops the run on a broken property (libFuzzer then
// saves the input as a crash artifact), and splitting a text input into lines.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(condition)                                                                    \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "fuzz property broken: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      __builtin_trap();                                                                          \
    }                                                                                            \
  } while (false)

namespace sshrelay::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input's '\n'-separated lines (a trailing newline does not add an empty line).
inline std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

// `text` without the prefix `key` when it starts with it.
inline bool take_prefix(std::string_view& text, std::string_view key) {
  if (text.substr(0, key.size()) != key) return false;
  text.remove_prefix(key.size());
  return true;
}

}  // namespace sshrelay::fuzz
