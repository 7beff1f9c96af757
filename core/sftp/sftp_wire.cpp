#include "core/sftp/sftp_wire.hpp"

namespace sshrelay::sftp {
namespace {

constexpr std::uint32_t kTypeMask = 0170000;
constexpr std::uint32_t kDirectory = 0040000;
constexpr std::uint32_t kRegular = 0100000;
constexpr std::uint32_t kSymlink = 0120000;

char type_letter(std::uint32_t mode) {
  switch (mode & kTypeMask) {
    case kDirectory: return 'd';
    case kRegular: return '-';
    case kSymlink: return 'l';
    case 0020000: return 'c';
    case 0060000: return 'b';
    case 0010000: return 'p';
    case 0140000: return 's';
    default: return '?';
  }
}

}  // namespace

std::string status_words(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "done";
    case StatusCode::eof: return "end of file";
    case StatusCode::no_such_file: return "no such file or folder";
    case StatusCode::permission_denied: return "permission denied";
    case StatusCode::failure: return "the server could not do it";
    case StatusCode::bad_message: return "the server did not understand the request";
    case StatusCode::no_connection: return "no connection";
    case StatusCode::connection_lost: return "connection lost";
    case StatusCode::op_unsupported: return "the server does not support this";
  }
  return "status " + std::to_string(static_cast<std::uint32_t>(code));
}

bool FileAttributes::is_directory() const { return permissions && (*permissions & kTypeMask) == kDirectory; }
bool FileAttributes::is_symlink() const { return permissions && (*permissions & kTypeMask) == kSymlink; }
bool FileAttributes::is_regular() const { return permissions && (*permissions & kTypeMask) == kRegular; }

std::string permission_text(std::optional<std::uint32_t> mode) {
  if (!mode) return "?---------";
  const std::uint32_t m = *mode;
  std::string text(10, '-');
  text[0] = type_letter(m);
  const char letters[] = {'r', 'w', 'x'};
  for (int i = 0; i < 9; ++i) {
    if (m & (0400u >> i)) text[1 + i] = letters[i % 3];
  }
  // setuid, setgid, sticky show in the execute columns, as ls prints them.
  if (m & 04000) text[3] = (m & 0100) ? 's' : 'S';
  if (m & 02000) text[6] = (m & 0010) ? 's' : 'S';
  if (m & 01000) text[9] = (m & 0001) ? 't' : 'T';
  return text;
}

PacketWriter::PacketWriter(PacketType type, std::size_t reserve) {
  bytes_.reserve(reserve + 5);
  bytes_.resize(4);  // the length, filled in by finish()
  bytes_.push_back(static_cast<std::uint8_t>(type));
}

PacketWriter& PacketWriter::u32(std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<std::uint8_t>(value >> shift));
  return *this;
}

PacketWriter& PacketWriter::u64(std::uint64_t value) {
  u32(static_cast<std::uint32_t>(value >> 32));
  return u32(static_cast<std::uint32_t>(value));
}

PacketWriter& PacketWriter::string(std::string_view bytes) {
  u32(static_cast<std::uint32_t>(bytes.size()));
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  return *this;
}

PacketWriter& PacketWriter::string(std::span<const std::uint8_t> bytes) {
  u32(static_cast<std::uint32_t>(bytes.size()));
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  return *this;
}

PacketWriter& PacketWriter::attrs(const FileAttributes& a) {
  std::uint32_t flags = 0;
  if (a.size) flags |= attr_flag::size;
  if (a.uid && a.gid) flags |= attr_flag::uid_gid;
  if (a.permissions) flags |= attr_flag::permissions;
  if (a.atime && a.mtime) flags |= attr_flag::times;
  if (!a.extended.empty()) flags |= attr_flag::extended;
  u32(flags);
  if (a.size) u64(*a.size);
  if (flags & attr_flag::uid_gid) u32(*a.uid).u32(*a.gid);
  if (a.permissions) u32(*a.permissions);
  if (flags & attr_flag::times) u32(*a.atime).u32(*a.mtime);
  if (!a.extended.empty()) {
    u32(static_cast<std::uint32_t>(a.extended.size()));
    for (const auto& [type, data] : a.extended) string(type).string(data);
  }
  return *this;
}

std::vector<std::uint8_t> PacketWriter::finish() {
  const auto length = static_cast<std::uint32_t>(bytes_.size() - 4);
  for (int i = 0; i < 4; ++i) bytes_[i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  return std::move(bytes_);
}

std::span<const std::uint8_t> PacketReader::take(std::size_t n) {
  if (!ok_ || n > rest_.size()) {
    ok_ = false;
    rest_ = {};
    return {};
  }
  auto out = rest_.first(n);
  rest_ = rest_.subspan(n);
  return out;
}

std::uint8_t PacketReader::u8() {
  auto b = take(1);
  return b.empty() ? 0 : b[0];
}

std::uint32_t PacketReader::u32() {
  auto b = take(4);
  if (b.empty()) return 0;
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

std::uint64_t PacketReader::u64() {
  const std::uint64_t high = u32();
  return (high << 32) | u32();
}

std::span<const std::uint8_t> PacketReader::bytes() { return take(u32()); }

std::string PacketReader::string() {
  auto b = bytes();
  return {b.begin(), b.end()};
}

FileAttributes PacketReader::attrs() {
  FileAttributes a;
  const std::uint32_t flags = u32();
  if (flags & attr_flag::size) a.size = u64();
  if (flags & attr_flag::uid_gid) {
    a.uid = u32();
    a.gid = u32();
  }
  if (flags & attr_flag::permissions) a.permissions = u32();
  if (flags & attr_flag::times) {
    a.atime = u32();
    a.mtime = u32();
  }
  if (flags & attr_flag::extended) {
    const std::uint32_t count = u32();
    // Each pair takes at least 8 bytes: a count beyond what is left is malformed, not a reason to loop.
    if (count > rest_.size() / 8) {
      ok_ = false;
      return a;
    }
    for (std::uint32_t i = 0; i < count && ok_; ++i) {
      std::string type = string();
      std::string data = string();
      a.extended.emplace_back(std::move(type), std::move(data));
    }
  }
  return a;
}

}  // namespace sshrelay::sftp
