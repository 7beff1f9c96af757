#include "core/wire/replay_buffer.hpp"

#include <algorithm>
#include <string>

#include "core/wire/v4_frame.hpp"

namespace sshrelay {

std::uint64_t ReplayBuffer::Entry::end() const { return offset + (frame->size() - v4::kDataHeaderSize); }

void ReplayBuffer::append(std::span<const std::uint8_t> payload) {
  while (!payload.empty()) {
    const auto chunk = payload.first(std::min(payload.size(), v4::kMaxDataPayload));
    auto frame = std::make_shared<std::vector<std::uint8_t>>();
    frame->reserve(v4::kDataHeaderSize + chunk.size());
    (void)v4::encode(v4::Data{chunk}, *frame);  // chunk is 1..kMaxDataPayload: cannot fail
    entries_.push_back(Entry{end_, std::move(frame)});
    end_ += chunk.size();
    payload = payload.subspan(chunk.size());
  }
}

Status ReplayBuffer::append_frames(std::span<FrameBuffer> frames, std::size_t n) {
  std::size_t room = 0;
  for (const auto& frame : frames) {
    if (!frame || frame->size() <= v4::kDataHeaderSize) {
      return local_error("append_frames: a frame buffer without room for a payload");
    }
    room += std::min(frame->size() - v4::kDataHeaderSize, v4::kMaxDataPayload);
  }
  if (n > room) {
    return local_error("append_frames: " + std::to_string(n) + " bytes do not fit the frames' " +
                       std::to_string(room) + " bytes of room");
  }
  for (auto& frame : frames) {
    if (n == 0) break;
    const std::size_t capacity = std::min(frame->size() - v4::kDataHeaderSize, v4::kMaxDataPayload);
    const std::size_t payload = std::min(n, capacity);
    if (payload < capacity / 4 * 3) {
      append(std::span<const std::uint8_t>(*frame).subspan(v4::kDataHeaderSize, payload));
    } else {
      frame->resize(v4::kDataHeaderSize + payload);
      v4::write_data_header(std::span(*frame).first<v4::kDataHeaderSize>(), payload);
      entries_.push_back(Entry{end_, std::move(frame)});
      end_ += payload;
    }
    n -= payload;
  }
  return Ok{};
}

Status ReplayBuffer::acknowledge(std::uint64_t offset) {
  if (offset < start_ || offset > end_) {
    return local_error("acknowledge(" + std::to_string(offset) + ") outside the buffer [" +
                       std::to_string(start_) + ", " + std::to_string(end_) + "]");
  }
  while (!entries_.empty() && entries_.front().end() <= offset) entries_.pop_front();
  start_ = offset;
  return Ok{};
}

Result<std::pair<FrameBytes, std::uint64_t>> ReplayBuffer::frame_at(std::uint64_t offset) const {
  if (offset < start_ || offset >= end_ || entries_.empty() || offset < entries_.front().offset) {
    return local_error("frame_at(" + std::to_string(offset) + ") outside the buffer [" + std::to_string(start_) +
                       ", " + std::to_string(end_) + ")");
  }
  // Entries are sorted by offset; the last one starting at or before `offset` holds it.
  auto it = std::upper_bound(entries_.begin(), entries_.end(), offset,
                             [](std::uint64_t value, const Entry& e) { return value < e.offset; });
  const Entry& entry = *std::prev(it);
  if (entry.offset == offset) return std::pair{entry.frame, entry.end()};
  const auto skip = static_cast<std::size_t>(offset - entry.offset);
  const auto payload = std::span(*entry.frame).subspan(v4::kDataHeaderSize + skip);
  return std::pair{FrameBytes(std::make_shared<const std::vector<std::uint8_t>>(v4::encode(v4::Data{payload}))),
                   entry.end()};
}

std::vector<std::uint8_t> ReplayBuffer::payload() const {
  std::vector<std::uint8_t> out;
  out.reserve(size());
  for (const auto& entry : entries_) {
    const auto bytes = std::span(*entry.frame).subspan(v4::kDataHeaderSize);
    const auto skip = entry.offset < start_ ? static_cast<std::size_t>(start_ - entry.offset) : 0;
    if (skip < bytes.size()) out.insert(out.end(), bytes.begin() + static_cast<std::ptrdiff_t>(skip), bytes.end());
  }
  return out;
}

ReplayBuffer ReplayBuffer::holding(std::uint64_t start, std::span<const std::uint8_t> payload) {
  ReplayBuffer buffer;
  buffer.start_ = start;
  buffer.end_ = start;
  buffer.append(payload);
  return buffer;
}

}  // namespace sshrelay
