#pragma once
// What a node says first on the internal link when it hands a client's reconnect to the session's owner:
// one line, then the client's HTTP request as it arrived, then whatever the two ends send.
//
//   SSHRELAY-FORWARD/1 <base64url of a JSON object> <hex HMAC-SHA256 of the label and that text>\r\n
//
// The JSON carries who the forwarding node verified (principal and the identity for the audit trail),
// the client's address, the session asked for, when and a nonce. The MAC is keyed with the cluster
// secret every node shares (--cluster-secret-file): only a node can open a forwarded reconnect, and a
// captured line cannot be replayed (the owner refuses an old timestamp or a nonce it has seen). The MAC
// itself is computed natively (OpenSSL); this file says what it covers.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/common/time.hpp"

namespace sshrelay::cluster {

inline constexpr std::string_view kForwardMagic = "SSHRELAY-FORWARD/1";
inline constexpr std::size_t kMaxForwardLine = 4096;  // with the CRLF

struct ForwardPreamble {
  std::string from_node;
  std::int64_t at_ms = 0;      // the forwarding node's Unix ms
  std::string nonce;           // 16 random bytes, hex
  std::string sid;             // the session the reconnect is for
  std::string principal;       // verified by the forwarding node; empty for an anonymous session
  bool anonymous = false;
  std::string client_ip;       // the user's address, as the forwarding node worked it out
  std::uint16_t client_port = 0;
  std::string identity_provider, identity_subject, identity_email;  // for the audit trail
};

// The text the MAC covers: a label (so the secret's MACs mean nothing elsewhere) and the encoded body.
std::string forward_mac_input(std::string_view encoded_body);

// The body, encoded for the line.
std::string encode_forward_body(const ForwardPreamble& preamble);
// The whole line, given the MAC of forward_mac_input(encode_forward_body(preamble)) in hex.
std::string forward_line(std::string_view encoded_body, std::string_view mac_hex);

// A line split into its encoded body and MAC (`line` without its CRLF).
struct ForwardLine {
  std::string encoded_body;
  std::string mac_hex;
};
Result<ForwardLine> split_forward_line(std::string_view line);
// The body decoded (after the MAC was checked).
Result<ForwardPreamble> decode_forward_body(std::string_view encoded_body);

// The owner's memory of recent nonces: a preamble is accepted once, and only within `window` of the
// forwarding node's clock (nodes keep their clocks in step with NTP; the window allows for some skew).
class ForwardReplayGuard {
 public:
  explicit ForwardReplayGuard(std::chrono::milliseconds window = std::chrono::seconds(30)) : window_(window) {}
  // `now_ms`: this node's Unix ms. An error names why the preamble is refused.
  Status accept(const ForwardPreamble& preamble, std::int64_t now_ms);

 private:
  std::chrono::milliseconds window_;
  std::map<std::string, std::int64_t> seen_;  // nonce -> its at_ms (forgotten once out of the window)
};

}  // namespace sshrelay::cluster
