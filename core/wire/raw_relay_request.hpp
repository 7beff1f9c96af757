#pragma once
// The request target of the plain WebSocket<->TCP endpoint, as wsproxy, gossh-wasm and websockify
// clients send it: <prefix>/relay?host=H&port=P[&token=JWT]. (The token is read by the identity layer,
// like any other credential, and redacted from every log line.)
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/policy/target.hpp"
#include "core/wire/query.hpp"

namespace sshrelay::raw {

inline constexpr std::string_view kRelayPath = "/relay";

std::string relay_request_target(std::string_view prefix, std::string_view host, std::uint16_t port);

// host= and port= are required (wsproxy's wording for the errors, which its clients show).
Result<Target> parse_relay_request(const QueryParams& params);

}  // namespace sshrelay::raw
