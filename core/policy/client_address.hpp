#pragma once
// The client's real address when the relay sits behind proxies: X-Forwarded-For is believed only from
// configured trusted proxies (anyone else could write any address into it).
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/cidr.hpp"

namespace sshrelay {

// `peer` is the TCP peer's address text. Walks X-Forwarded-For from the right while the hop is trusted
// and returns the first untrusted address (or the leftmost one if every hop is trusted).
std::string effective_client_address(std::string_view peer, std::string_view forwarded_for,
                                     const std::vector<Cidr>& trusted_proxies);

}  // namespace sshrelay
