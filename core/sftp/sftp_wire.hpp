#pragma once
// SFTP version 3 on the wire (draft-ietf-secsh-filexfer-02, the version OpenSSH speaks): packet and
// status numbers, file attributes, and a writer and a reader for one packet. Every packet is
// uint32 length, byte type, then fields: uint32/uint64 big-endian, strings as uint32 length + bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sshrelay::sftp {

inline constexpr std::uint32_t kProtocolVersion = 3;

enum class PacketType : std::uint8_t {
  init = 1,
  version = 2,
  open = 3,
  close = 4,
  read = 5,
  write = 6,
  lstat = 7,
  fstat = 8,
  setstat = 9,
  fsetstat = 10,
  opendir = 11,
  readdir = 12,
  remove = 13,
  mkdir = 14,
  rmdir = 15,
  realpath = 16,
  stat = 17,
  rename = 18,
  readlink = 19,
  symlink = 20,
  status = 101,
  handle = 102,
  data = 103,
  name = 104,
  attrs = 105,
  extended = 200,
  extended_reply = 201,
};

enum class StatusCode : std::uint32_t {
  ok = 0,
  eof = 1,
  no_such_file = 2,
  permission_denied = 3,
  failure = 4,
  bad_message = 5,
  no_connection = 6,
  connection_lost = 7,
  op_unsupported = 8,
};

// What a person reads for a status: "permission denied", "no such file or folder", ... The server's own
// message is kept beside it (OpenSSH's say little more than the code: "Permission denied").
std::string status_words(StatusCode code);

namespace open_flag {
inline constexpr std::uint32_t read = 0x01;
inline constexpr std::uint32_t write = 0x02;
inline constexpr std::uint32_t append = 0x04;
inline constexpr std::uint32_t create = 0x08;
inline constexpr std::uint32_t truncate = 0x10;
inline constexpr std::uint32_t exclusive = 0x20;
}  // namespace open_flag

namespace attr_flag {
inline constexpr std::uint32_t size = 0x01;
inline constexpr std::uint32_t uid_gid = 0x02;
inline constexpr std::uint32_t permissions = 0x04;
inline constexpr std::uint32_t times = 0x08;
inline constexpr std::uint32_t extended = 0x80000000;
}  // namespace attr_flag

// Each field is present only when the server (or we) set it.
struct FileAttributes {
  std::optional<std::uint64_t> size;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::optional<std::uint32_t> permissions;  // st_mode: file type bits and the permission bits
  std::optional<std::uint32_t> atime;
  std::optional<std::uint32_t> mtime;
  std::vector<std::pair<std::string, std::string>> extended;

  bool is_directory() const;
  bool is_symlink() const;
  bool is_regular() const;
  friend bool operator==(const FileAttributes&, const FileAttributes&) = default;
};

// "drwxr-xr-x" from st_mode; "?" in the type column when the type is unknown or absent.
std::string permission_text(std::optional<std::uint32_t> mode);

// Builds one packet: the length prefix is filled in by finish().
class PacketWriter {
 public:
  explicit PacketWriter(PacketType type, std::size_t reserve = 64);
  PacketWriter& u32(std::uint32_t value);
  PacketWriter& u64(std::uint64_t value);
  PacketWriter& string(std::string_view bytes);
  PacketWriter& string(std::span<const std::uint8_t> bytes);
  PacketWriter& attrs(const FileAttributes& attributes);
  // The packet; the writer is left empty.
  std::vector<std::uint8_t> finish();

 private:
  std::vector<std::uint8_t> bytes_;
};

// Reads the fields of one packet's body (the bytes after the length). A read past the end sets a
// sticky failure and returns zero/empty; check ok() once after reading everything.
class PacketReader {
 public:
  explicit PacketReader(std::span<const std::uint8_t> body) : rest_(body) {}
  std::uint8_t u8();
  std::uint32_t u32();
  std::uint64_t u64();
  std::span<const std::uint8_t> bytes();  // a string's bytes, viewed in place
  std::string string();
  FileAttributes attrs();
  bool ok() const { return ok_; }
  bool at_end() const { return rest_.empty(); }

 private:
  std::span<const std::uint8_t> take(std::size_t n);
  std::span<const std::uint8_t> rest_;
  bool ok_ = true;
};

}  // namespace sshrelay::sftp
