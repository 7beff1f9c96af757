#pragma once
// The SSH version line each side sends first ("SSH-2.0-OpenSSH_9.2p1 Debian-2"), caught from the bytes a
// session relays, for the audit trail (which client and server software a session used, as the Python
// relay records it). It looks only at the first 256 bytes of a direction and stops after the first line,
// so it costs one branch per read afterwards.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sshrelay {

class SshBannerCapture {
 public:
  static constexpr std::size_t kLookBytes = 256;  // RFC 4253 §4.2 allows 255 plus CR LF
  static constexpr std::size_t kMaxChars = 128;

  // Feeds the next bytes of the direction; cheap once done().
  void feed(std::span<const std::uint8_t> bytes);
  bool done() const { return done_; }
  // The first line without its CR LF, cut to kMaxChars characters, bytes above 0x7f as U+FFFD; empty
  // until a whole line was seen within the first kLookBytes bytes (and forever, if none was).
  const std::string& line() const { return line_; }

 private:
  std::string pending_;
  std::string line_;
  bool done_ = false;
};

}  // namespace sshrelay
