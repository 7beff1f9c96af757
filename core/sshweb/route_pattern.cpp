#include "core/sshweb/route_pattern.hpp"

#include <string>
#include <vector>

namespace sshrelay::sshweb {
namespace {

// "/a/b/" -> {"a", "b"}: empty segments dropped, so "/" has none.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    const auto slash = path.find('/', i);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > i) out.push_back(path.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

bool is_parameter(std::string_view segment) { return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}'; }
bool is_rest(std::string_view segment) { return is_parameter(segment) && segment[segment.size() - 2] == '*'; }

}  // namespace

bool route_matches(std::string_view pattern, std::string_view path) {
  if (const auto query = path.find('?'); query != std::string_view::npos) path = path.substr(0, query);
  const auto want = segments(pattern);
  const auto have = segments(path);
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_rest(want[i])) return i + 1 == want.size();  // zero or more: whatever is left
    if (i >= have.size()) return false;
    if (!is_parameter(want[i]) && want[i] != have[i]) return false;
  }
  return want.size() == have.size();
}

bool route_is_valid(std::string_view pattern, std::string* why) {
  const auto fail = [&](std::string message) {
    if (why) *why = std::move(message);
    return false;
  };
  if (pattern.empty() || pattern.front() != '/') return fail("a route begins with '/'");
  const auto parts = segments(pattern);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto part = parts[i];
    const bool braces = part.find_first_of("{}") != std::string_view::npos;
    if (braces && !is_parameter(part)) return fail("braces go around a whole segment: '" + std::string(part) + "'");
    if (is_parameter(part) && part.substr(1, part.size() - 2).find_first_of("{}") != std::string_view::npos) {
      return fail("nested braces in '" + std::string(part) + "'");
    }
    if (is_rest(part) && i + 1 != parts.size()) return fail("'" + std::string(part) + "' may only be the last segment");
  }
  return true;
}

}  // namespace sshrelay::sshweb
