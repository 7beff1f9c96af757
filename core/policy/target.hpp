#pragma once
// A TCP destination chosen by a user: "host:port" from a CLI argument, or the separate host= and port=
// query parameters of /v4/connect and /relay. Only the syntax is checked here; whether the relay may dial
// it is the target policy's business (see core/address_class.hpp).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay {

struct Target {
  // Lower-case DNS name, dotted-quad IPv4, or IPv6 literal without brackets (a "%zone" suffix keeps its
  // case: Linux interface names are case-sensitive).
  std::string host;
  std::uint16_t port = 0;

  // "host:port", with IPv6 literals bracketed ("[::1]:22") so the result parses back to the same Target.
  std::string to_string() const;

  friend bool operator==(const Target&, const Target&) = default;
};

// Accepts "host:port", "host", "[v6]:port", "[v6]", and a bare IPv6 literal ("::1", "fe80::1%eth0"):
// two or more colons without brackets mean an address, never an address plus port.
// Errors are protocol errors, because the text normally arrives from a peer; callers parsing their own
// configuration report them as they see fit.
Result<Target> parse_target(std::string_view text, std::uint16_t default_port = 22);

// For the separate host= / port= query parameters (already percent-decoded). The host may be bracketed.
Result<Target> make_target(std::string_view host, std::string_view port_text);

// Checks one host (DNS name, IPv4, IPv6 with or without brackets) and returns it in Target::host form.
// Rules: at most 253 characters; names use letters, digits, '-', '_' and '.', labels are 1-63 characters
// and do not start or end with '-'; a name whose last label is all digits must be a strict dotted quad
// (resolvers read "127.1" or "2130706433" as 127.0.0.1); no whitespace, control or non-ASCII bytes
// (internationalized names must arrive in their xn-- form).
Result<std::string> normalize_host(std::string_view host);

// Decimal 1-65535, digits only.
Result<std::uint16_t> parse_port(std::string_view text);

}  // namespace sshrelay
