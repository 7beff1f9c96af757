// The client's address behind proxies (core/client_address.hpp). effective_client_address is compared
// with its documented rule written out again here: an untrusted (or unparsable) peer, or no header,
// gives the peer; otherwise X-Forwarded-For is walked from the right past trusted hops; the first
// untrusted hop is the answer, the leftmost hop when all are trusted, and the peer again when a hop is
// not an address. Checks that rule, and the property behind it: the answer is always either the peer or
// a hop that appears in the header. With the single-address headers (CF-Connecting-IP, X-Real-IP) in
// front: from an untrusted peer they change nothing; from a trusted one the first that is one address
// wins, trimmed; otherwise the X-Forwarded-For rule decides.
//
// Input lines: the peer address, the X-Forwarded-For value, CF-Connecting-IP, X-Real-IP, then trusted
// proxy blocks, one per line.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/cidr.hpp"
#include "core/policy/client_address.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<Ipv6Bytes> address_of(std::string_view text) {
  if (auto v4 = parse_ipv4(text)) return map_ipv4(*v4);
  return parse_ipv6(text);
}

bool is_trusted(std::string_view text, const std::vector<Cidr>& proxies) {
  const auto address = address_of(text);
  return address && std::any_of(proxies.begin(), proxies.end(), [&](const Cidr& c) { return c.contains(*address); });
}

std::vector<std::string_view> hops_of(std::string_view header) {
  std::vector<std::string_view> hops;
  while (true) {
    const auto comma = header.find(',');
    hops.push_back(trim_blanks(header.substr(0, comma)));
    if (comma == std::string_view::npos) return hops;
    header.remove_prefix(comma + 1);
  }
}

std::string expected_address(std::string_view peer, std::string_view header, const std::vector<Cidr>& proxies) {
  if (header.empty() || !is_trusted(peer, proxies)) return std::string(peer);
  const auto hops = hops_of(header);
  // An empty hop anywhere (",10.0.0.1" included, which this target once found skipped) is garbage.
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    if (!address_of(*hop)) return std::string(peer);
    if (!is_trusted(*hop, proxies)) return std::string(*hop);
  }
  return std::string(hops.front());
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  const auto lines = lines_of(as_text(data, size));
  if (lines.size() < 4) return 0;
  std::vector<Cidr> proxies;
  for (std::size_t i = 4; i < lines.size(); ++i) {
    if (auto block = parse_cidr(lines[i])) proxies.push_back(*block);
  }
  const std::string answer = effective_client_address(lines[0], lines[1], proxies);
  const auto hops = hops_of(lines[1]);
  FUZZ_CHECK(answer == lines[0] || std::find(hops.begin(), hops.end(), answer) != hops.end());
  FUZZ_CHECK(answer == expected_address(lines[0], lines[1], proxies));

  const std::string with_singles = effective_client_address(lines[0], ProxyHeaders{lines[2], lines[3], lines[1]}, proxies);
  std::string expected = answer;
  if (is_trusted(lines[0], proxies)) {
    for (const std::string_view single : {trim_blanks(lines[2]), trim_blanks(lines[3])}) {
      if (address_of(single)) {
        expected = std::string(single);
        break;
      }
    }
  } else {
    FUZZ_CHECK(with_singles == lines[0]);
  }
  FUZZ_CHECK(with_singles == expected);
  return 0;
}
