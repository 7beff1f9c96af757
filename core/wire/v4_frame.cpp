#include "core/wire/v4_frame.hpp"

#include <algorithm>
#include <type_traits>

namespace sshrelay::v4 {
namespace {

template <class T>
void put_be(std::vector<std::uint8_t>& out, T value) {
  for (int shift = static_cast<int>(sizeof(T) * 8) - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

template <class T>
void store_be(std::uint8_t* p, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::uint8_t>(value >> (8 * (sizeof(T) - 1 - i)));
}

template <class T>
T get_be(const std::uint8_t* p) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value = static_cast<T>((value << 8) | p[i]);
  return value;
}

std::string tag_name(std::uint16_t tag) {
  switch (static_cast<Tag>(tag)) {
    case Tag::connect_success: return "CONNECT_SUCCESS";
    case Tag::reconnect_success: return "RECONNECT_SUCCESS";
    case Tag::data: return "DATA";
    case Tag::ack: return "ACK";
  }
  return "unknown tag " + std::to_string(tag);
}

// What parse_one found at the front of a buffer: a frame and its encoded size, or "need more bytes".
struct Parsed {
  Frame frame;
  std::size_t size;
};

Result<std::optional<Parsed>> parse_one(std::span<const std::uint8_t> in) {
  if (in.size() < 2) return std::optional<Parsed>{};
  const auto tag = get_be<std::uint16_t>(in.data());
  switch (static_cast<Tag>(tag)) {
    case Tag::reconnect_success:
    case Tag::ack: {
      if (in.size() < kAckFrameSize) return std::optional<Parsed>{};
      const auto ack = get_be<std::uint64_t>(in.data() + 2);
      Frame frame = static_cast<Tag>(tag) == Tag::ack ? Frame{Ack{ack}} : Frame{ReconnectSuccess{ack}};
      return std::optional<Parsed>{Parsed{std::move(frame), kAckFrameSize}};
    }
    case Tag::connect_success:
    case Tag::data: {
      if (in.size() < kDataHeaderSize) return std::optional<Parsed>{};
      const auto len = get_be<std::uint32_t>(in.data() + 2);
      const bool is_data = static_cast<Tag>(tag) == Tag::data;
      const std::size_t limit = is_data ? kMaxDataPayload : kMaxSessionIdLength;
      if (len > limit) {
        return protocol_error(tag_name(tag) + " length " + std::to_string(len) + " exceeds the maximum " +
                              std::to_string(limit));
      }
      if (len == 0) return protocol_error(tag_name(tag) + " with an empty payload");
      if (in.size() < kDataHeaderSize + len) return std::optional<Parsed>{};
      const auto body = in.subspan(kDataHeaderSize, len);
      if (is_data) return std::optional<Parsed>{Parsed{Data{body}, kDataHeaderSize + len}};
      const bool printable = std::all_of(body.begin(), body.end(), [](std::uint8_t c) { return c > 0x20 && c < 0x7f; });
      if (!printable) return protocol_error("CONNECT_SUCCESS session id is not printable ASCII");
      return std::optional<Parsed>{
          Parsed{ConnectSuccess{std::string(body.begin(), body.end())}, kDataHeaderSize + len}};
    }
  }
  return protocol_error("unexpected frame tag " + std::to_string(tag));
}

}  // namespace

void write_data_header(std::span<std::uint8_t, kDataHeaderSize> frame, std::size_t payload_size) {
  store_be(frame.data(), static_cast<std::uint16_t>(Tag::data));
  store_be(frame.data() + 2, static_cast<std::uint32_t>(payload_size));
}

Status encode(const Frame& frame, std::vector<std::uint8_t>& out) {
  return std::visit(
      [&out](const auto& f) -> Status {
        using F = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<F, Data>) {
          if (f.payload.empty()) return local_error("DATA payload must not be empty");
          if (f.payload.size() > kMaxDataPayload) {
            return local_error("DATA payload of " + std::to_string(f.payload.size()) + " bytes exceeds " +
                               std::to_string(kMaxDataPayload));
          }
          put_be(out, static_cast<std::uint16_t>(Tag::data));
          put_be(out, static_cast<std::uint32_t>(f.payload.size()));
          out.insert(out.end(), f.payload.begin(), f.payload.end());
        } else if constexpr (std::is_same_v<F, ConnectSuccess>) {
          if (f.session_id.empty() || f.session_id.size() > kMaxSessionIdLength) {
            return local_error("session id length must be 1.." + std::to_string(kMaxSessionIdLength));
          }
          put_be(out, static_cast<std::uint16_t>(Tag::connect_success));
          put_be(out, static_cast<std::uint32_t>(f.session_id.size()));
          out.insert(out.end(), f.session_id.begin(), f.session_id.end());
        } else {
          constexpr Tag tag = std::is_same_v<F, Ack> ? Tag::ack : Tag::reconnect_success;
          put_be(out, static_cast<std::uint16_t>(tag));
          put_be(out, f.ack);
        }
        return Ok{};
      },
      frame);
}

std::vector<std::uint8_t> encode(const Frame& frame) {
  std::vector<std::uint8_t> out;
  auto status = encode(frame, out);
  if (!status) out.clear();
  return out;
}

Result<Frame> decode_message(std::span<const std::uint8_t> message) {
  auto parsed = parse_one(message);
  if (!parsed) return parsed.error();
  if (!parsed->has_value()) {
    return protocol_error("truncated frame: message of " + std::to_string(message.size()) + " bytes");
  }
  if ((*parsed)->size != message.size()) {
    return protocol_error("message carries " + std::to_string(message.size() - (*parsed)->size) +
                          " bytes after its frame");
  }
  return std::move((*parsed)->frame);
}

Result<std::size_t> leading_frame_size(std::span<const std::uint8_t> message) {
  auto parsed = parse_one(message);
  if (!parsed) return parsed.error();
  if (!parsed->has_value()) {
    return protocol_error("truncated frame: " + std::to_string(message.size()) + " bytes left in the message");
  }
  return (*parsed)->size;
}

std::size_t FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (consumed_ > 0) {  // compact lazily, only when new bytes arrive: views stay valid until then
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  const std::size_t room = kBufferCap - std::min(kBufferCap, buffer_.size());
  const std::size_t take = std::min(room, bytes.size());
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
  return take;
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (failed_) return *failed_;
  auto parsed = parse_one(std::span(buffer_).subspan(consumed_));
  if (!parsed) {
    failed_ = parsed.error();
    return *failed_;
  }
  if (!parsed->has_value()) return std::optional<Frame>{};
  consumed_ += (*parsed)->size;
  return std::optional<Frame>{std::move((*parsed)->frame)};
}

}  // namespace sshrelay::v4
