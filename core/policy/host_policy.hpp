#pragma once
// Which Host headers the relay answers: its defence against DNS rebinding. A hostile page can point a
// name it owns (rebind.example) at the relay's address; the browser then treats the relay as that
// page's own origin and sends `Host: rebind.example`. The relay answers only to names it was told are
// its own, so such a request is refused before anything else looks at it.
//
// Always answered: IP literals (a page served from an IP address is the relay itself: nobody can rebind
// an address) and "localhost" (browsers resolve it to loopback themselves).
#include <string>
#include <string_view>
#include <vector>

namespace sshrelay {

class HostPolicy {
 public:
  // DNS names the relay is reached under (--public-host, --listen hosts, --allowed-hosts), any case.
  // Entries that are not valid host names are ignored.
  explicit HostPolicy(const std::vector<std::string>& names = {});

  // `host_header` is "name", "name:port", "[v6]" or "[v6]:port". False for an empty or malformed header.
  bool answers_to(std::string_view host_header) const;

 private:
  std::vector<std::string> names_;  // normalized (lower case)
};

}  // namespace sshrelay
