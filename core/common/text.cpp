#include "core/common/text.hpp"

namespace sshrelay {
namespace {

std::string_view trim_any(std::string_view text, std::string_view blanks) {
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim_ows(std::string_view text) { return trim_any(text, " \t"); }

std::string_view trim_space(std::string_view text) { return trim_any(text, " \t\r\n"); }

}  // namespace sshrelay
