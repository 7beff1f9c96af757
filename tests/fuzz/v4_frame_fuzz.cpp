// v4 frame codec (core/v4_frame.hpp). Checks: a message decode_message accepts re-encodes to the same
// bytes, and refusals are protocol errors; FrameDecoder fed at split points chosen by the input yields
// the same frames (each re-encoding to exactly the bytes it consumed) and the same failure as when fed
// in one piece; feed() takes exactly what fits under its cap; a decoder never stalls (full buffer, no
// frame, no error); decode_message accepts the stream iff the decoder finds exactly one frame in it.
//
// Input: byte 0 = how many split-size bytes follow (0-16), then those bytes, then the byte stream.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/wire/v4_frame.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::v4 {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct DecoderRun {
  std::vector<Bytes> frames;  // each decoded frame, encoded again
  bool failed = false;
};

// One split-size byte: 1-128 bytes, or 150-19200 (beyond the decoder's cap).
std::size_t piece_size(std::uint8_t byte) {
  return byte < 128 ? std::size_t{byte} + 1 : std::size_t{byte - 127u} * 150;
}

void check_frame_shape(const Frame& frame) {
  if (const auto* data = std::get_if<Data>(&frame)) {
    FUZZ_CHECK(!data->payload.empty() && data->payload.size() <= kMaxDataPayload);
  } else if (const auto* connect = std::get_if<ConnectSuccess>(&frame)) {
    FUZZ_CHECK(!connect->session_id.empty() && connect->session_id.size() <= kMaxSessionIdLength);
    for (const char c : connect->session_id) FUZZ_CHECK(c > 0x20 && c < 0x7f);
  }
}

// Pulls every frame the decoder holds; `held` counts bytes fed and not yet returned as frames.
bool drain(FrameDecoder& decoder, std::span<const std::uint8_t> stream, std::size_t& consumed, std::size_t& held,
           DecoderRun& run) {
  bool progressed = false;
  while (true) {
    auto next = decoder.next();
    if (!next) {
      FUZZ_CHECK(next.error().kind == ErrorKind::remote_protocol);
      FUZZ_CHECK(!decoder.next().ok());  // a failed decoder stays failed
      run.failed = true;
      return true;
    }
    if (!next->has_value()) return progressed;
    check_frame_shape(**next);
    Bytes encoded = encode(**next);
    FUZZ_CHECK(!encoded.empty() && encoded.size() <= held);
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), stream.begin() + static_cast<std::ptrdiff_t>(consumed)));
    consumed += encoded.size();
    held -= encoded.size();
    run.frames.push_back(std::move(encoded));
    progressed = true;
  }
}

// Feeds `stream` in pieces of the given sizes (cycled; none means all at once).
DecoderRun run_decoder(std::span<const std::uint8_t> stream, const std::vector<std::size_t>& pieces) {
  FrameDecoder decoder;
  DecoderRun run;
  std::size_t fed = 0, consumed = 0, held = 0, piece_index = 0;
  while (fed < stream.size() && !run.failed) {
    const std::size_t wanted = pieces.empty() ? stream.size() : pieces[piece_index++ % pieces.size()];
    auto piece = stream.subspan(fed, std::min(wanted, stream.size() - fed));
    while (!piece.empty() && !run.failed) {
      const std::size_t taken = decoder.feed(piece);
      FUZZ_CHECK(taken == std::min(piece.size(), FrameDecoder::kBufferCap - held));
      fed += taken;
      held += taken;
      piece = piece.subspan(taken);
      const bool drained = drain(decoder, stream, consumed, held, run);
      FUZZ_CHECK(taken > 0 || drained);  // a full buffer always holds a frame or an error
    }
  }
  if (!run.failed) FUZZ_CHECK(decoder.at_frame_boundary() == (held == 0));
  return run;
}

}  // namespace
}  // namespace sshrelay::v4

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay::v4;
  if (size == 0) return 0;
  const std::size_t split_bytes = std::min<std::size_t>(data[0] % 17, size - 1);
  std::vector<std::size_t> pieces;
  for (std::size_t i = 0; i < split_bytes; ++i) pieces.push_back(piece_size(data[1 + i]));
  const std::span<const std::uint8_t> stream(data + 1 + split_bytes, size - 1 - split_bytes);

  auto message = decode_message(stream);
  if (message) {
    check_frame_shape(*message);
    const auto encoded = encode(*message);
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), stream.begin(), stream.end()));
  } else {
    FUZZ_CHECK(message.error().kind == sshrelay::ErrorKind::remote_protocol);
  }

  const auto whole = run_decoder(stream, {});
  const auto split = run_decoder(stream, pieces);
  FUZZ_CHECK(whole.frames == split.frames);
  FUZZ_CHECK(whole.failed == split.failed);
  const std::size_t whole_bytes = [&] {
    std::size_t n = 0;
    for (const auto& f : whole.frames) n += f.size();
    return n;
  }();
  FUZZ_CHECK(message.ok() == (!whole.failed && whole.frames.size() == 1 && whole_bytes == stream.size()));
  return 0;
}
