#include "core/wire/close_code.hpp"

namespace sshrelay {
namespace {

// The length of the well-formed UTF-8 sequence at the front of `text` (Unicode 15, table 3-7), or 0.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 == 0xe0) low = 0xa0;   // no overlong forms
    if (b0 == 0xed) high = 0x9f;  // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 == 0xf0) low = 0x90;   // no overlong forms
    if (b0 == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

}  // namespace

bool is_utf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

unsigned http_status_for(std::uint16_t code) {
  switch (code) {
    case close_code::identity_invalid: return 401;
    case close_code::denied: return 403;
    case close_code::unknown_session: return 404;
    case close_code::unknown_rendezvous: return 404;
    case close_code::wrong_token: return 401;
    case close_code::slot_taken: return 409;
    case close_code::session_expired: return 410;
    case close_code::session_cap: return 429;
    case close_code::dial_failed: return 502;
    case close_code::port_pool_exhausted: return 503;
    case close_code::service_restart: return 503;
    case close_code::internal_error: return 500;
    default: return 400;
  }
}

std::string_view close_code_meaning(std::uint16_t code) {
  switch (code) {
    case close_code::normal: return "the relay closed the session";
    case close_code::protocol_error: return "the relay saw a protocol error";
    case close_code::unsupported_data: return "the relay refused a text message";
    case close_code::invalid_payload: return "the relay refused a message that was not valid";
    case close_code::too_big: return "the relay refused a message that was too big";
    case close_code::internal_error: return "the relay lost the connection to the target";
    case close_code::service_restart: return "the relay is restarting";
    case close_code::identity_invalid: return "the relay refused the connection: you are not signed in (identity missing or invalid)";
    case close_code::denied: return "the relay refused the connection: this origin or target is not allowed";
    case close_code::unknown_session:
      return "the relay no longer has the session (it ended, or waited too long for a reconnect)";
    case close_code::unknown_rendezvous: return "the relay has no such rendezvous session: check the session id";
    case close_code::wrong_token: return "the relay refused the connection: the token does not open this rendezvous session";
    case close_code::slot_taken: return "the relay refused the connection: someone else holds this side of the rendezvous";
    case close_code::session_expired: return "the rendezvous session has expired";
    case close_code::going_away: return "the relay closed the connection: the other party did not come";
    case close_code::policy_violation: return "the relay closed the connection: the session was revoked";
    case close_code::session_cap: return "the relay refused the connection: too many sessions";
    case close_code::dial_failed: return "the relay could not reach the target";
    case close_code::port_pool_exhausted: return "the relay has no free source port for this connection";
    default: return {};
  }
}

std::string close_reason_text(std::string_view reason) {
  static constexpr std::string_view kEllipsis = "...";
  std::string out;
  std::size_t last_fit = 0;  // the longest prefix that still leaves room for the ellipsis
  while (!reason.empty()) {
    const std::size_t length = utf8_sequence_length(reason);
    const std::size_t take = length == 0 ? 1 : length;
    if (out.size() + take > kMaxCloseReasonBytes) {
      out.resize(last_fit);
      return out + std::string(kEllipsis);
    }
    if (length == 0) {
      out.push_back('?');
    } else {
      out.append(reason.substr(0, length));
    }
    if (out.size() + kEllipsis.size() <= kMaxCloseReasonBytes) last_fit = out.size();
    reason.remove_prefix(take);
  }
  return out;
}

}  // namespace sshrelay
