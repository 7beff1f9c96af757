// The relay's RFC 6455 reader (core/wire/websocket_frames.hpp), which parses every byte a client sends
// after the upgrade. Checks: fed at split points chosen by the input, the reader yields the same events
// and the same failure (code and reason) as when fed in one piece; messages respect the size limit,
// pings carry at most 125 bytes, close codes are ones a peer may send and reasons valid UTF-8; failures
// are 1002, 1007 or 1009 and final; the reader never holds more than it was given; a masked binary
// frame built from the input (split into fragments, with a ping between them) reads back as exactly its
// payload.
//
// Input: byte 0 picks the size limit, byte 1 how many split-size bytes follow (0-16), then those bytes,
// then the byte stream.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/wire/close_code.hpp"
#include "core/wire/websocket_frames.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::ws {
namespace {

using Bytes = std::vector<std::uint8_t>;

// What a run saw, copied out of the reader (payload views die at release()).
struct Seen {
  std::vector<std::string> events;  // "M<binary><payload>", "P<payload>", "O", "C<code>:<reason>"
  bool failed = false;
  std::uint16_t failure_code = 0;
  std::string failure;
};

void check_event(const Event& event, std::size_t max_message) {
  if (const auto* message = std::get_if<Message>(&event)) {
    FUZZ_CHECK(message->payload.size() <= max_message);
  } else if (const auto* ping = std::get_if<Ping>(&event)) {
    FUZZ_CHECK(ping->payload.size() <= 125);
  } else if (const auto* close = std::get_if<Close>(&event)) {
    FUZZ_CHECK(close->code == 0 || is_sendable_close_code(close->code));
    FUZZ_CHECK(close->reason.size() <= 123 && is_utf8(close->reason));
  }
}

std::string describe(const Event& event) {
  if (const auto* message = std::get_if<Message>(&event)) {
    return std::string("M") + (message->binary ? "b" : "t") + std::string(message->payload.begin(), message->payload.end());
  }
  if (const auto* ping = std::get_if<Ping>(&event)) return "P" + std::string(ping->payload.begin(), ping->payload.end());
  if (std::holds_alternative<Pong>(event)) return "O";
  const auto& close = std::get<Close>(event);
  return "C" + std::to_string(close.code) + ":" + close.reason;
}

// Pulls every event; returns false once the reader failed.
bool drain(Reader& reader, std::size_t max_message, Seen& seen) {
  while (true) {
    auto next = reader.next();
    if (!next) {
      FUZZ_CHECK(next.error().kind == ErrorKind::remote_protocol);
      const auto code = reader.close_code();
      FUZZ_CHECK(code == close_code::protocol_error || code == close_code::invalid_payload || code == close_code::too_big);
      FUZZ_CHECK(!reader.next().ok());  // a failed reader stays failed
      seen.failed = true;
      seen.failure_code = code;
      seen.failure = next.error().message;
      return false;
    }
    if (!next->has_value()) return true;
    check_event(**next, max_message);
    seen.events.push_back(describe(**next));
  }
}

// Feeds `stream` in pieces of the given sizes (cycled; one piece when there are none).
Seen run(std::span<const std::uint8_t> stream, std::span<const std::uint8_t> splits, std::size_t max_message) {
  Reader reader(max_message);
  Seen seen;
  std::size_t at = 0;
  std::size_t piece = 0;
  while (at < stream.size()) {
    std::size_t n = stream.size() - at;
    if (!splits.empty()) n = std::min<std::size_t>(n, std::size_t{splits[piece++ % splits.size()]} * 37 + 1);
    auto room = reader.prepare(n);
    FUZZ_CHECK(room.size() >= 1);
    n = std::min(n, room.size());
    std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), n, room.begin());
    reader.commit(n);
    at += n;
    FUZZ_CHECK(reader.buffered() <= at);
    if (!drain(reader, max_message, seen)) break;
    reader.release();
  }
  return seen;
}

// A client frame: FIN/opcode, masked with `mask`.
void append_frame(Bytes& out, Opcode opcode, bool fin, std::span<const std::uint8_t> payload,
                  const std::array<std::uint8_t, 4>& mask) {
  out.push_back(static_cast<std::uint8_t>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(opcode)));
  const auto size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<std::uint8_t>(0x80 | size));
  } else if (size <= 0xffff) {
    out.insert(out.end(), {0xfe, static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
  } else {
    out.push_back(0xff);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(size >> shift));
  }
  out.insert(out.end(), mask.begin(), mask.end());
  Bytes masked(payload.begin(), payload.end());
  unmask(masked, mask);  // XOR both ways
  out.insert(out.end(), masked.begin(), masked.end());
}

void check_round_trip(std::span<const std::uint8_t> payload, std::span<const std::uint8_t> splits) {
  const std::array<std::uint8_t, 4> mask = {payload.empty() ? std::uint8_t{1} : payload[0], 0x5a, 0xc3,
                                            static_cast<std::uint8_t>(payload.size())};
  Bytes stream;
  const std::size_t half = payload.size() / 2;
  append_frame(stream, Opcode::binary, false, payload.first(half), mask);
  const std::uint8_t ping[] = {'p', 'i', 'n', 'g'};
  append_frame(stream, Opcode::ping, true, ping, mask);
  append_frame(stream, Opcode::continuation, true, payload.subspan(half), mask);
  const Seen seen = run(stream, splits, payload.size() + 1);
  FUZZ_CHECK(!seen.failed);
  FUZZ_CHECK(seen.events.size() == 2);
  FUZZ_CHECK(seen.events[0] == "Pping");
  FUZZ_CHECK(seen.events[1] == "Mb" + std::string(payload.begin(), payload.end()));
}

}  // namespace
}  // namespace sshrelay::ws

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay::ws;
  if (size < 2) return 0;
  static constexpr std::size_t kLimits[] = {0, 1, 125, 126, 4096, 65535, 65536, 1 << 20};
  const std::size_t max_message = kLimits[data[0] % std::size(kLimits)];
  const std::size_t split_count = std::min<std::size_t>(data[1] % 17, size - 2);
  const std::span<const std::uint8_t> splits(data + 2, split_count);
  const std::span<const std::uint8_t> stream(data + 2 + split_count, size - 2 - split_count);

  const Seen whole = run(stream, {}, max_message);
  const Seen pieces = run(stream, splits, max_message);
  FUZZ_CHECK(whole.events == pieces.events);
  FUZZ_CHECK(whole.failed == pieces.failed);
  FUZZ_CHECK(whole.failure_code == pieces.failure_code);
  FUZZ_CHECK(whole.failure == pieces.failure);

  check_round_trip(stream.first(std::min<std::size_t>(stream.size(), 70000)), splits);
  return 0;
}
