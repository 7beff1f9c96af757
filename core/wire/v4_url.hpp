#pragma once
// The request targets of a corp-relay-v4 session (design.md §2), built by every client and parsed by the
// relay, so both ends share one rule:
//   <prefix>/v4/connect?host=H&port=P&dstUsername=U[&packFrames=1]
//   <prefix>/v4/reconnect?sid=S&ack=A[&packFrames=1]
// Query values are percent-encoded by core/wire/query's rule.
//
// packFrames=1 is ours, not the extension's: the client reads every frame of a WebSocket message in order,
// so the relay may put several frames under one WebSocket header (a browser spends about as much on a
// message as on 11 KiB of its bytes: docs/wasm.md, "Throughput"). It holds for the one WebSocket that
// asked. Relays that do not know it ignore it and send one frame per message, which such a client reads
// as well; the Secure Shell extension never sends it.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/policy/target.hpp"
#include "core/wire/query.hpp"

namespace sshrelay::v4 {

inline constexpr std::string_view kConnectPath = "/v4/connect";
inline constexpr std::string_view kReconnectPath = "/v4/reconnect";

inline constexpr std::string_view kPackFramesParam = "packFrames";

std::string connect_request_target(std::string_view prefix, std::string_view host, std::uint16_t port,
                                   std::string_view user, bool pack_frames = false);
std::string reconnect_request_target(std::string_view prefix, std::string_view sid, std::uint64_t ack,
                                     bool pack_frames = false);

// A byte count as the relay reads it from ack=: decimal digits only, no sign, no spaces, at most
// 2^64-1 (a larger number is refused, never wrapped: "18446744073709551616" is not 0). The error says
// briefly what is wrong ("empty", "not decimal digits", "2^64 or more").
Result<std::uint64_t> parse_byte_count(std::string_view text);

struct ConnectRequest {
  Target target;
  std::string user;  // dstUsername: for the audit trail only, the relay never logs in
  bool pack_frames = false;
};
struct ReconnectRequest {
  std::string sid;
  std::uint64_t ack = 0;
  bool pack_frames = false;
};

// The errors are protocol errors whose messages name the parameter at fault (for the close reason).
Result<ConnectRequest> parse_connect_request(const QueryParams& params);
Result<ReconnectRequest> parse_reconnect_request(const QueryParams& params);

}  // namespace sshrelay::v4
