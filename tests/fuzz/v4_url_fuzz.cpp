// The v4 request targets (core/wire/v4_url.hpp), built by clients and parsed by the relay. Checks:
// - percent_encode_component leaves only unreserved characters and upper-case %XX, and decodes back;
// - a /v4/connect or /v4/reconnect request target, split and percent-decoded the way a server does,
//   parses back to what it was built from: the target make_target gives for that host and port, the
//   user, the session id (accepted iff is_valid_session_id) and the ack;
// - parse_byte_count accepts exactly the decimal numbers below 2^64 and prints back to them;
// - parse_connect_request / parse_reconnect_request on any parameters: an accepted request holds a target
//   that round-trips, a valid session id; refusals are protocol errors.
//
// Input: built with FuzzedDataProvider (prefix, host, port, user, sid, ack, then parameter names/values).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/session/session_id.hpp"
#include "core/wire/v4_url.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower case is not what the encoder writes
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_digit(text[i + 1]), low = hex_digit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

void check_encoding(std::string_view value) {
  const std::string encoded = percent_encode_component(value);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      FUZZ_CHECK(i + 2 < encoded.size() && hex_digit(encoded[i + 1]) >= 0 && hex_digit(encoded[i + 2]) >= 0);
      i += 2;
    } else {
      FUZZ_CHECK(unreserved(encoded[i]));
    }
  }
  FUZZ_CHECK(percent_decode(encoded) == std::string(value));
}

// The query of a request target as a server reads it: after the path, '&'-separated name=value pairs.
QueryParams query_of(const std::string& request_target, std::string_view path) {
  const auto question = request_target.find('?');
  FUZZ_CHECK(question != std::string::npos && std::string_view(request_target).substr(0, question).ends_with(path));
  QueryParams params;
  std::string_view query = std::string_view(request_target).substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto equals = pair.find('=');
    FUZZ_CHECK(equals != std::string_view::npos);
    auto name = percent_decode(pair.substr(0, equals));
    auto value = percent_decode(pair.substr(equals + 1));
    FUZZ_CHECK(name && value && params.emplace(*name, *value).second);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return params;
}

void check_byte_count(std::string_view text) {
  auto count = v4::parse_byte_count(text);
  std::string_view digits = text;
  const bool all_digits = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  const bool fits = all_digits && (digits.size() < 20 || (digits.size() == 20 && digits <= "18446744073709551615"));
  FUZZ_CHECK(count.ok() == fits);
  if (count) FUZZ_CHECK(std::to_string(*count) == digits);
  if (!count) FUZZ_CHECK(count.error().kind == ErrorKind::remote_protocol);
}

void check_connect(std::string_view prefix, std::string_view host, std::uint16_t port, std::string_view user) {
  const auto params = query_of(v4::connect_request_target(prefix, host, port, user), v4::kConnectPath);
  auto request = v4::parse_connect_request(params);
  auto target = make_target(host, std::to_string(port));
  FUZZ_CHECK(request.ok() == target.ok());
  if (request) FUZZ_CHECK(request->target == *target && request->user == user);
}

void check_reconnect(std::string_view prefix, std::string_view sid, std::uint64_t ack) {
  const auto params = query_of(v4::reconnect_request_target(prefix, sid, ack), v4::kReconnectPath);
  auto request = v4::parse_reconnect_request(params);
  FUZZ_CHECK(request.ok() == is_valid_session_id(sid));
  if (request) FUZZ_CHECK(request->sid == sid && request->ack == ack);
}

void check_any_params(const QueryParams& params) {
  if (auto connect = v4::parse_connect_request(params)) {
    auto again = parse_target(connect->target.to_string(), 1);
    FUZZ_CHECK(again.ok() && *again == connect->target);
  } else {
    FUZZ_CHECK(connect.error().kind == ErrorKind::remote_protocol);
  }
  if (auto reconnect = v4::parse_reconnect_request(params)) {
    FUZZ_CHECK(is_valid_session_id(reconnect->sid));
    FUZZ_CHECK(v4::parse_byte_count(params.at("ack")).value() == reconnect->ack);
  } else {
    FUZZ_CHECK(reconnect.error().kind == ErrorKind::remote_protocol);
  }
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  FuzzedDataProvider in(data, size);
  const std::string prefix = in.ConsumeBool() ? "" : in.ConsumeRandomLengthString(16);
  const std::string host = in.ConsumeRandomLengthString(80);
  const auto port = in.ConsumeIntegral<std::uint16_t>();
  const std::string user = in.ConsumeRandomLengthString(40);
  const std::string sid = in.ConsumeRandomLengthString(140);
  const auto ack = in.ConsumeIntegral<std::uint64_t>();

  for (const auto& text : {host, user, sid}) check_encoding(text);
  if (prefix.find('?') == std::string::npos) {
    check_connect(prefix, host, port, user);
    check_reconnect(prefix, sid, ack);
  }
  QueryParams params;
  while (in.remaining_bytes() > 0 && params.size() < 8) {
    std::string name = in.ConsumeRandomLengthString(12);
    std::string value = in.ConsumeRandomLengthString(40);
    check_byte_count(value);
    params[std::move(name)] = std::move(value);
  }
  check_any_params(params);
  return 0;
}
