#include "core/identity/token_source.hpp"

#include "core/common/text.hpp"

#include <optional>

namespace sshrelay {
namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) { return trim_ows(text); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Collects the non-empty values of one source; reports whether they disagree.
class Candidates {
 public:
  void add(std::string_view value) {
    if (value.empty()) return;
    if (!first_) {
      first_ = value;
    } else if (*first_ != value) {
      conflicting_ = true;
    }
    ++count_;
  }
  bool empty() const { return !first_; }
  bool conflicting() const { return conflicting_; }
  std::size_t count() const { return count_; }
  std::string_view value() const { return *first_; }

 private:
  std::optional<std::string_view> first_;
  bool conflicting_ = false;
  std::size_t count_ = 0;
};

Result<FoundToken> pick(const Candidates& candidates, TokenOrigin origin, std::string where) {
  if (candidates.conflicting()) {
    return protocol_error(where + " appears " + std::to_string(candidates.count()) +
                          " times with different values: refusing to choose one");
  }
  return FoundToken{std::string(candidates.value()), origin, std::move(where)};
}

// "Bearer <token>" -> token; nullopt for another scheme.
std::optional<std::string_view> bearer_token(std::string_view value) {
  value = trim(value);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme) ||
      !is_ows(value[kScheme.size()])) {
    return std::nullopt;
  }
  return trim(value.substr(kScheme.size()));
}

}  // namespace

std::vector<std::pair<std::string_view, std::string_view>> parse_cookie_header(std::string_view header) {
  std::vector<std::pair<std::string_view, std::string_view>> cookies;
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    const auto pair = header.substr(0, semicolon);
    header = semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    const auto name = trim(pair.substr(0, equals));
    auto value = trim(pair.substr(equals + 1));
    if (name.empty()) continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    cookies.emplace_back(name, value);
  }
  return cookies;
}

std::string describe(const TokenSources& sources) {
  std::string out;
  const auto add = [&out](std::string_view part) {
    if (!out.empty()) out += ", ";
    out += part;
  };
  for (const auto& header : sources.headers) add("header " + header);
  if (sources.bearer) add("Authorization: Bearer");
  if (!sources.cookie.empty()) add("cookie " + sources.cookie);
  if (!sources.query_param.empty()) add("query parameter " + sources.query_param);
  if (out.empty()) out = "nowhere (no token source configured)";
  return out;
}

Result<FoundToken> find_token(const TokenSources& sources, const TokenRequest& request) {
  for (const auto& name : sources.headers) {
    Candidates candidates;
    for (const auto& field : request.headers) {
      if (iequals(field.name, name)) candidates.add(trim(field.value));
    }
    if (!candidates.empty()) return pick(candidates, TokenOrigin::header, "header " + name);
  }
  bool other_authorization = false;
  if (sources.bearer) {
    Candidates candidates;
    for (const auto& field : request.headers) {
      if (!iequals(field.name, "authorization")) continue;
      if (auto token = bearer_token(field.value)) {
        candidates.add(*token);
      } else if (!trim(field.value).empty()) {
        other_authorization = true;
      }
    }
    if (!candidates.empty()) return pick(candidates, TokenOrigin::bearer, "Authorization: Bearer");
  }
  if (!sources.cookie.empty()) {
    Candidates candidates;
    for (const auto& field : request.headers) {
      if (!iequals(field.name, "cookie")) continue;
      for (const auto& [name, value] : parse_cookie_header(field.value)) {
        if (name == sources.cookie) candidates.add(value);
      }
    }
    if (!candidates.empty()) return pick(candidates, TokenOrigin::cookie, "cookie " + sources.cookie);
  }
  if (!sources.query_param.empty()) {
    Candidates candidates;
    for (const auto& param : request.query) {
      if (param.name == sources.query_param) candidates.add(param.value);
    }
    if (!candidates.empty()) return pick(candidates, TokenOrigin::query, "query parameter " + sources.query_param);
  }
  std::string message = "no identity token (looked at " + describe(sources) + ")";
  if (other_authorization) message += "; the Authorization header is not of the Bearer scheme";
  return protocol_error(std::move(message));
}

}  // namespace sshrelay
