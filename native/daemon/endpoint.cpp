#include "native/daemon/endpoint.hpp"

#include "core/session/raw_relay_session.hpp"
#include "core/session/session_id.hpp"
#include "core/session/v4_server_session.hpp"
#include "core/wire/close_code.hpp"
#include "core/wire/raw_relay_request.hpp"
#include "core/wire/v4_frame.hpp"
#include "core/wire/v4_url.hpp"

namespace sshrelay::daemon {

// Defined with the driver's instantiations (v4_session.cpp, raw_relay_session.cpp).
std::shared_ptr<Session> make_v4_session(RelayContext& ctx, Strand strand, DialOutcome dialed,
                                         SessionDescription description);
std::shared_ptr<Session> make_raw_relay_session(RelayContext& ctx, Strand strand, DialOutcome dialed,
                                                SessionDescription description);

namespace {

constexpr std::size_t kMaxRawMessage = 1 << 20;  // gossh-wasm sends at most 4 KiB, websockify clients little more

std::variant<EndpointRequest, RequestRefusal> parse_v4_connect(const QueryParams& params, const std::optional<Target>&) {
  auto connect = v4::parse_connect_request(params);
  if (!connect) return RequestRefusal{close_code::protocol_error, connect.error().message};
  return EndpointRequest{std::move(connect->target), std::move(connect->user), std::nullopt, 0};
}

std::variant<EndpointRequest, RequestRefusal> parse_v4_reconnect(const QueryParams& params, const std::optional<Target>&) {
  auto reconnect = v4::parse_reconnect_request(params);
  if (!reconnect) {
    // A sid that cannot be one is reported like an unknown session; a bad ack is a protocol error.
    const auto sid = params.find("sid");
    const bool sid_at_fault = sid == params.end() || !is_valid_session_id(sid->second);
    return RequestRefusal{sid_at_fault ? close_code::unknown_session : close_code::protocol_error,
                          reconnect.error().message};
  }
  return EndpointRequest{std::nullopt, {}, std::move(reconnect->sid), reconnect->ack};
}

std::variant<EndpointRequest, RequestRefusal> parse_raw_relay(const QueryParams& params, const std::optional<Target>& fixed) {
  if (fixed) return EndpointRequest{*fixed, {}, std::nullopt, 0};
  auto target = raw::parse_relay_request(params);
  if (!target) return RequestRefusal{close_code::protocol_error, target.error().message};
  return EndpointRequest{std::move(*target), {}, std::nullopt, 0};
}

constexpr std::size_t kMaxV4Message = v4::kDataHeaderSize + v4::kMaxDataPayload;

const Endpoint kEndpoints[] = {
    {v4::kConnectPath, "v4", "ssh", true, kMaxV4Message, parse_v4_connect, make_v4_session},
    {v4::kReconnectPath, "v4", "ssh", true, kMaxV4Message, parse_v4_reconnect, nullptr},
    {raw::kRelayPath, "relay", "binary", false, kMaxRawMessage, parse_raw_relay, make_raw_relay_session},
    // websockify's clients (noVNC and others) name the path /websockify.
    {"/websockify", "relay", "binary", false, kMaxRawMessage, parse_raw_relay, make_raw_relay_session},
};

}  // namespace

const Endpoint* find_endpoint(std::string_view path) {
  for (const auto& endpoint : kEndpoints) {
    if (endpoint.path == path) return &endpoint;
  }
  return nullptr;
}

}  // namespace sshrelay::daemon
