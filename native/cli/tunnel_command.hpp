#pragma once
// `sshrelay tunnel --to HOST:PORT`: the client side of the relay's /tunnel (wsproxy's protocol, the
// rules in core/tunnel): registers a tunnel, prints where it is reached, and serves it from HOST:PORT —
// each http_request becomes one HTTP/1.1 request to HOST:PORT (its answer, read whole, goes back as
// http_response, body base64), each tcp_open one TCP connection whose bytes travel as binary frames.
#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"

namespace sshrelay::cli {

// Runs until SIGINT/SIGTERM (exit 0) or the relay ends the tunnel (the relay error exit code).
int run_tunnel(const ProxyOptions& options, Console& console);

}  // namespace sshrelay::cli
