#include "core/gateway/authorized_key_match.hpp"

#include <vector>

namespace sshrelay::gateway {
namespace {

// Blank-separated words of a line, a double-quoted run (an option's value) kept inside its word.
std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    bool quoted = false;
    while (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) {
      if (line[i] == '"') quoted = !quoted;
      ++i;
    }
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

}  // namespace

bool authorized_keys_list(std::string_view text, std::string_view key_type, std::string_view key_base64) {
  if (key_type.empty() || key_base64.empty()) return false;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto words = words_of(line);
    if (words.empty() || words[0].starts_with('#')) continue;
    // The key type is the first or (after options) the second word.
    for (std::size_t i = 0; i + 1 < words.size() && i < 2; ++i) {
      if (words[i] == key_type && words[i + 1] == key_base64) return true;
    }
  }
  return false;
}

}  // namespace sshrelay::gateway
