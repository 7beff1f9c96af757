#include "core/wire/websocket_frames.hpp"

#include <algorithm>
#include <cstring>

#include "core/wire/close_code.hpp"

namespace sshrelay::ws {
namespace {

constexpr std::size_t kMaxControlPayload = 125;

bool known_opcode(std::uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

std::uint64_t read_be(const std::uint8_t* p, std::size_t n) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) value = (value << 8) | p[i];
  return value;
}

}  // namespace

bool is_sendable_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

void unmask(std::span<std::uint8_t> bytes, const std::array<std::uint8_t, 4>& mask, std::size_t offset) {
  std::uint8_t m[8];
  for (std::size_t k = 0; k < 8; ++k) m[k] = mask[(offset + k) & 3];
  std::uint64_t m64;
  std::memcpy(&m64, m, 8);
  std::uint8_t* p = bytes.data();
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    v ^= m64;
    std::memcpy(p + i, &v, 8);
  }
  for (; i < n; ++i) p[i] ^= m[i & 7];
}

FrameHeader frame_header(Opcode opcode, std::uint64_t payload_size, bool fin) {
  FrameHeader h;
  h.bytes[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(opcode));
  if (payload_size < 126) {
    h.bytes[1] = static_cast<std::uint8_t>(payload_size);
    h.size = 2;
  } else if (payload_size <= 0xffff) {
    h.bytes[1] = 126;
    h.bytes[2] = static_cast<std::uint8_t>(payload_size >> 8);
    h.bytes[3] = static_cast<std::uint8_t>(payload_size);
    h.size = 4;
  } else {
    h.bytes[1] = 127;
    for (int i = 0; i < 8; ++i) h.bytes[2 + i] = static_cast<std::uint8_t>(payload_size >> (56 - 8 * i));
    h.size = 10;
  }
  return h;
}

std::vector<std::uint8_t> close_payload(std::uint16_t code, std::string_view reason) {
  const std::string text = close_reason_text(reason);
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

Reader::Reader(std::size_t max_message) : max_message_(max_message) {}

std::span<std::uint8_t> Reader::prepare(std::size_t max) {
  if (start_ == end_ && buffer_.size() > 4 * max) {
    // Nothing received is still referenced and reads have become small (a burst is over): give the
    // burst's large buffer back, so that an idle connection holds a small one.
    std::vector<std::uint8_t>(max).swap(buffer_);
    start_ = parse_ = end_ = message_begin_ = message_end_ = 0;
  }
  if (start_ > 0) {  // compact: nothing before start_ is referenced any more
    std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
    parse_ -= start_;
    end_ -= start_;
    if (in_message_) {
      message_begin_ -= start_;
      message_end_ -= start_;
    }
    start_ = 0;
  }
  if (buffer_.size() < end_ + max) buffer_.resize(end_ + max);
  return {buffer_.data() + end_, max};
}

void Reader::commit(std::size_t n) { end_ = std::min(end_ + n, buffer_.size()); }

std::optional<std::span<const std::uint8_t>> Reader::unparsed() const {
  if (in_message_ || failed_) return std::nullopt;
  return std::span(buffer_.data() + parse_, end_ - parse_);
}

void Reader::release() { start_ = in_message_ ? message_begin_ : parse_; }

Result<std::optional<Event>> Reader::fail(std::uint16_t code, std::string reason) {
  failure_code_ = code;
  failed_ = protocol_error(std::move(reason));
  return *failed_;
}

Result<std::optional<Event>> Reader::next() {
  if (failed_) return *failed_;
  for (int frames = 0; frames < 1 << 20; ++frames) {
    const std::size_t available = end_ - parse_;
    if (available < 2) return std::optional<Event>{};
    std::uint8_t* frame = buffer_.data() + parse_;
    const bool fin = (frame[0] & 0x80) != 0;
    const std::uint8_t op = frame[0] & 0x0f;
    const bool masked = (frame[1] & 0x80) != 0;
    const std::uint8_t length7 = frame[1] & 0x7f;
    if (frame[0] & 0x70) return fail(close_code::protocol_error, "RSV bits set without an extension");
    if (!known_opcode(op)) return fail(close_code::protocol_error, "unknown opcode " + std::to_string(op));
    const bool control = op >= 8;
    if (control && !fin) return fail(close_code::protocol_error, "fragmented control frame");
    if (control && length7 > kMaxControlPayload) return fail(close_code::protocol_error, "control frame over 125 bytes");
    if (!masked) return fail(close_code::protocol_error, "client frames must be masked");
    const std::size_t length_bytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    const std::size_t header = 2 + length_bytes + 4;
    if (available < header) return std::optional<Event>{};
    const std::uint64_t length = length_bytes ? read_be(frame + 2, length_bytes) : length7;
    const std::uint64_t so_far = in_message_ ? message_end_ - message_begin_ : 0;
    if (!control && (length > max_message_ || so_far + length > max_message_)) {
      return fail(close_code::too_big, "message over " + std::to_string(max_message_) + " bytes");
    }
    if (available - header < length) return std::optional<Event>{};
    const std::array<std::uint8_t, 4> mask{frame[header - 4], frame[header - 3], frame[header - 2], frame[header - 1]};
    const std::size_t payload_at = parse_ + header;
    const auto n = static_cast<std::size_t>(length);
    std::span<std::uint8_t> payload(buffer_.data() + payload_at, n);
    unmask(payload, mask);
    parse_ = payload_at + n;

    switch (static_cast<Opcode>(op)) {
      case Opcode::continuation:
        if (!in_message_) return fail(close_code::protocol_error, "continuation frame without a message");
        if (message_end_ != payload_at) std::memmove(buffer_.data() + message_end_, payload.data(), n);
        message_end_ += n;
        if (!fin) continue;
        in_message_ = false;
        return std::optional<Event>{
            Message{message_binary_, {buffer_.data() + message_begin_, message_end_ - message_begin_}}};
      case Opcode::text:
      case Opcode::binary:
        if (in_message_) return fail(close_code::protocol_error, "a new message began before the last one ended");
        if (fin) return std::optional<Event>{Message{op == 2, payload}};
        in_message_ = true;
        message_binary_ = op == 2;
        message_begin_ = payload_at;
        message_end_ = payload_at + n;
        continue;
      case Opcode::close: {
        if (n == 1) return fail(close_code::protocol_error, "close frame with a one-byte payload");
        Close close;
        if (n >= 2) {
          close.code = static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);
          if (!is_sendable_close_code(close.code)) {
            return fail(close_code::protocol_error, "invalid close code " + std::to_string(close.code));
          }
          close.reason.assign(payload.begin() + 2, payload.end());
          if (!is_utf8(close.reason)) return fail(close_code::invalid_payload, "close reason is not UTF-8");
        }
        return std::optional<Event>{std::move(close)};
      }
      case Opcode::ping:
        return std::optional<Event>{Ping{{payload.begin(), payload.end()}}};
      case Opcode::pong:
        return std::optional<Event>{Pong{}};
    }
  }
  return std::optional<Event>{};
}

}  // namespace sshrelay::ws
