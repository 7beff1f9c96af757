#pragma once
// Loopback port helpers. Tests only ever talk to 127.0.0.1.

#include <chrono>
#include <cstdint>
#include <string>

namespace sshrelay::testing {

// Binds 127.0.0.1:0, reads the kernel's choice and closes. Another process may take the port before the
// caller binds it (rare); callers that start a server on it retry on "address in use".
std::uint16_t pick_free_loopback_port();

// One connect attempt to 127.0.0.1:port, bounded by `timeout`; the socket is closed at once.
// A refused or accepted connect returns at once; the timeout only matters when the handshake stalls
// (e.g. a full accept backlog on a loaded machine), so it is generous.
bool loopback_port_accepts(std::uint16_t port,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Connects to 127.0.0.1:port and reads until a line starting with `prefix` arrives (e.g. "SSH-2.0-" to
// know it is really sshd answering), all within `timeout`. Returns that line without its line ending,
// or an empty string on refusal, EOF or timeout.
std::string read_greeting(std::uint16_t port, const std::string& prefix, std::chrono::milliseconds timeout);

}  // namespace sshrelay::testing
