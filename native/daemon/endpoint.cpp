#include "native/daemon/endpoint.hpp"

#include "core/common/text.hpp"
#include "core/rendezvous/rendezvous_api.hpp"
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
std::shared_ptr<Session> make_v4_leg(RelayContext& ctx, const std::shared_ptr<RendezvousPair>& pair,
                                     rendezvous::Slot slot, SessionDescription description);
std::shared_ptr<Session> make_plain_leg(RelayContext& ctx, const std::shared_ptr<RendezvousPair>& pair,
                                        rendezvous::Slot slot, SessionDescription description);
// native/daemon/tunnel/tunnel_session.cpp
std::shared_ptr<Session> make_tunnel_session(RelayContext& ctx, Strand strand, SessionDescription description);

namespace {

constexpr std::size_t kMaxRawMessage = 1 << 20;  // gossh-wasm sends at most 4 KiB, websockify clients little more

std::variant<EndpointRequest, RequestRefusal> parse_v4_connect(const QueryParams& params, const std::optional<Target>&) {
  auto connect = v4::parse_connect_request(params);
  if (!connect) return RequestRefusal{close_code::protocol_error, connect.error().message};
  return EndpointRequest{std::move(connect->target), std::move(connect->user), std::nullopt, 0, connect->pack_frames};
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
  return EndpointRequest{std::nullopt, {}, std::move(reconnect->sid), reconnect->ack, reconnect->pack_frames};
}

std::variant<EndpointRequest, RequestRefusal> parse_raw_relay(const QueryParams& params, const std::optional<Target>& fixed) {
  if (fixed) return EndpointRequest{*fixed, {}, std::nullopt, 0};
  auto target = raw::parse_relay_request(params);
  if (!target) return RequestRefusal{close_code::protocol_error, target.error().message};
  return EndpointRequest{std::move(*target), {}, std::nullopt, 0};
}

// /tunnel reads streams= and subdomain= (ours; wsproxy's clients send only token=, which identity reads).
std::variant<EndpointRequest, RequestRefusal> parse_tunnel(const QueryParams& params, const std::optional<Target>&) {
  EndpointRequest request;
  if (const auto streams = params.find("streams"); streams != params.end()) {
    const auto on = parse_bool_word(streams->second);
    if (!on) return RequestRefusal{close_code::protocol_error, "streams= must be 1 or 0, not '" + streams->second + "'"};
    request.tunnel_streams = *on;
  }
  if (const auto subdomain = params.find("subdomain"); subdomain != params.end()) {
    if (subdomain->second != "stable" && subdomain->second != "random") {
      return RequestRefusal{close_code::protocol_error, "subdomain= must be stable or random, not '" + subdomain->second + "'"};
    }
    request.tunnel_stable_subdomain = subdomain->second == "stable";
  }
  return request;
}

// A leg's request is read by admission itself (rendezvous_api.hpp: the id, the token, a resume).
std::variant<EndpointRequest, RequestRefusal> parse_leg(const QueryParams&, const std::optional<Target>&) {
  return EndpointRequest{};
}

constexpr std::size_t kMaxV4Message = v4::kDataHeaderSize + v4::kMaxDataPayload;

const Endpoint kEndpoints[] = {
    {v4::kConnectPath, "v4", "ssh", true, kMaxV4Message, parse_v4_connect, make_v4_session, nullptr, false, nullptr},
    {v4::kReconnectPath, "v4", "ssh", true, kMaxV4Message, parse_v4_reconnect, nullptr, nullptr, false, nullptr},
    {raw::kRelayPath, "relay", "binary", false, kMaxRawMessage, parse_raw_relay, make_raw_relay_session, nullptr, false, nullptr},
    // websockify's clients (noVNC and others) name the path /websockify.
    {"/websockify", "relay", "binary", false, kMaxRawMessage, parse_raw_relay, make_raw_relay_session, nullptr, false, nullptr},
    // wsproxy's tunnels: its clients expect HTTP statuses before the upgrade, and send bodies of up to
    // 10 MiB base64 in one message.
    {"/tunnel", "tunnel", "", false, 16 * 1024 * 1024, parse_tunnel, nullptr, nullptr, false, make_tunnel_session},
};

// Rendezvous legs, by prefix. Our resumable legs refuse with close frames (the page shows only a close
// reason); swsrs's plain legs answer HTTP statuses before the upgrade, as swsrs does.
const Endpoint kLegEndpoints[] = {
    {rendezvous::kLegPathPrefix, "rendezvous", "ssh", true, kMaxV4Message, parse_leg, nullptr, make_v4_leg, true, nullptr},
    {rendezvous::kPlainLegPathPrefix, "rendezvous-plain", "", false, kMaxRawMessage, parse_leg, nullptr, make_plain_leg,
     false, nullptr},
};

}  // namespace

const Endpoint* find_endpoint(std::string_view path, std::string* id) {
  for (const auto& endpoint : kEndpoints) {
    if (endpoint.path == path) return &endpoint;
  }
  for (const auto& endpoint : kLegEndpoints) {
    if (auto found = rendezvous::id_after(path, endpoint.path)) {
      if (id) *id = std::move(*found);
      return &endpoint;
    }
  }
  return nullptr;
}

}  // namespace sshrelay::daemon
