// Picking the identity token out of a request (core/token_source.hpp). find_token is compared with the
// rule its header states, written out again here: sources in order (headers as listed, Bearer, the
// cookie, the query parameter), the first one with a non-empty value wins, and a source whose non-empty
// values differ is an error. Checks: the same token, origin and `where`, or the same error; an error
// message is exactly one of the two documented forms, so it never carries a header, cookie or parameter
// value. parse_cookie_header: names are non-empty, without ';', '=' or surrounding blanks, values without
// ';', and every name and value is a piece of the header text.
//
// Input lines: "@header <name>", "@bearer", "@cookie <name>", "@query <name>" configure the sources;
// "H <name>:<value>" is a request header, "Q <name>=<value>" a query parameter.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity/token_source.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool same_letters(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

// "Bearer <token>", scheme in any case, at least one blank after it.
std::optional<std::string_view> bearer_value(std::string_view value) {
  value = trim_blanks(value);
  if (value.size() <= 6 || !same_letters(value.substr(0, 6), "bearer") || (value[6] != ' ' && value[6] != '\t')) {
    return std::nullopt;
  }
  return trim_blanks(value.substr(6));
}

struct Source {
  std::string where;
  TokenOrigin origin;
  std::vector<std::string_view> values;  // non-empty ones, in request order
};

std::vector<Source> expected_sources(const TokenSources& sources, const TokenRequest& request, bool& other_auth) {
  std::vector<Source> out;
  const auto keep = [](Source& s, std::string_view v) {
    if (!v.empty()) s.values.push_back(v);
  };
  for (const auto& name : sources.headers) {
    Source s{"header " + name, TokenOrigin::header, {}};
    for (const auto& h : request.headers) {
      if (same_letters(h.name, name)) keep(s, trim_blanks(h.value));
    }
    out.push_back(std::move(s));
  }
  other_auth = false;
  if (sources.bearer) {
    Source s{"Authorization: Bearer", TokenOrigin::bearer, {}};
    for (const auto& h : request.headers) {
      if (!same_letters(h.name, "authorization")) continue;
      if (auto token = bearer_value(h.value)) {
        keep(s, *token);
      } else if (!trim_blanks(h.value).empty()) {
        other_auth = true;
      }
    }
    out.push_back(std::move(s));
  }
  if (!sources.cookie.empty()) {
    Source s{"cookie " + sources.cookie, TokenOrigin::cookie, {}};
    for (const auto& h : request.headers) {
      if (!same_letters(h.name, "cookie")) continue;
      for (const auto& [name, value] : parse_cookie_header(h.value)) {
        if (name == sources.cookie) keep(s, value);
      }
    }
    out.push_back(std::move(s));
  }
  if (!sources.query_param.empty()) {
    Source s{"query parameter " + sources.query_param, TokenOrigin::query, {}};
    for (const auto& q : request.query) {
      if (q.name == sources.query_param) keep(s, q.value);
    }
    out.push_back(std::move(s));
  }
  return out;
}

void check_cookie_header(std::string_view header) {
  for (const auto& [name, value] : parse_cookie_header(header)) {
    FUZZ_CHECK(!name.empty() && name == trim_blanks(name));
    FUZZ_CHECK(name.find_first_of(";=") == std::string_view::npos && value.find(';') == std::string_view::npos);
    for (const auto piece : {name, value}) {
      FUZZ_CHECK(piece.data() >= header.data() && piece.data() + piece.size() <= header.data() + header.size());
    }
  }
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  TokenSources sources;
  TokenRequest request;
  for (auto line : lines_of(as_text(data, size))) {
    if (take_prefix(line, "@header ")) {
      sources.headers.emplace_back(line);
    } else if (line == "@bearer") {
      sources.bearer = true;
    } else if (take_prefix(line, "@cookie ")) {
      sources.cookie = std::string(line);
    } else if (take_prefix(line, "@query ")) {
      sources.query_param = std::string(line);
    } else if (take_prefix(line, "H ")) {
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      request.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
      check_cookie_header(line.substr(colon + 1));
    } else if (take_prefix(line, "Q ")) {
      const auto equals = line.find('=');
      if (equals != std::string_view::npos) request.query.push_back({line.substr(0, equals), line.substr(equals + 1)});
    }
  }

  bool other_authorization = false;
  const auto expected = expected_sources(sources, request, other_authorization);
  auto found = find_token(sources, request);
  for (const auto& source : expected) {
    if (source.values.empty()) continue;
    bool conflicting = false;
    for (const auto value : source.values) conflicting |= value != source.values.front();
    if (conflicting) {
      FUZZ_CHECK(!found && found.error().kind == ErrorKind::remote_protocol);
      FUZZ_CHECK(found.error().message == source.where + " appears " + std::to_string(source.values.size()) +
                                              " times with different values: refusing to choose one");
    } else {
      FUZZ_CHECK(found && found->token == source.values.front() && found->origin == source.origin &&
                 found->where == source.where);
    }
    return 0;
  }
  FUZZ_CHECK(!found && found.error().kind == ErrorKind::remote_protocol);
  std::string message = "no identity token (looked at " + describe(sources) + ")";
  if (other_authorization) message += "; the Authorization header is not of the Bearer scheme";
  FUZZ_CHECK(found.error().message == message);
  return 0;
}
