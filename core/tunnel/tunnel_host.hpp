#pragma once
// Which tunnel a request's Host names: <16 lowercase hex>.<tunnel domain>. The Host is canonicalised first
// (blanks trimmed, port, trailing dot and IPv6 brackets removed, lower case), as wsproxy does, so
// "ABCDEF0123456789.Tunnels.Example.COM.:443" names the tunnel abcdef0123456789.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sshrelay::tunnel {

inline constexpr std::size_t kSubdomainLength = 16;  // 8 random bytes in hex

std::string canonical_host(std::string_view host);

// The domain is not the tunnel domain (nor under it): the relay's own routes answer.
struct NotTunnelHost {};
// Under the tunnel domain but not one tunnel label: 404 "invalid tunnel".
struct InvalidTunnelHost {};
using HostMatch = std::variant<NotTunnelHost, InvalidTunnelHost, std::string /* subdomain */>;

// `domain`: the canonical tunnel domain ("" when tunnels have none: then nothing matches).
HostMatch match_tunnel_host(std::string_view host, std::string_view domain);

// "https://<subdomain>.<domain>", with ":port" when the public port is not 443.
std::string tunnel_url(std::string_view subdomain, std::string_view domain, unsigned public_port = 443);

bool is_subdomain_label(std::string_view label);

}  // namespace sshrelay::tunnel
