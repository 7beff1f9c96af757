// SFTP v3 packets as annotated bytes: what the writer builds and what the reader accepts or refuses.
#include "core/sftp/sftp_wire.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace sshrelay::sftp {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(SftpWire, WritesAnOpenRequest) {
  FileAttributes attrs;
  attrs.permissions = 0644;
  const Bytes packet = PacketWriter(PacketType::open).u32(7).string("a.txt").u32(open_flag::read).attrs(attrs).finish();
  const Bytes expected = {
      0, 0, 0, 26,             // length: everything after these four bytes
      3,                       // SSH_FXP_OPEN
      0, 0, 0, 7,              // request id
      0, 0, 0, 5, 'a', '.', 't', 'x', 't',  // path
      0, 0, 0, 1,              // SSH_FXF_READ
      0, 0, 0, 4,              // attribute flags: permissions only
      0, 0, 0x01, 0xa4,        // 0644
  };
  EXPECT_EQ(packet, expected);
}

TEST(SftpWire, AttributesRoundTripWithEveryField) {
  FileAttributes attrs;
  attrs.size = 0x0102030405060708ull;
  attrs.uid = 1000;
  attrs.gid = 100;
  attrs.permissions = 0100755;
  attrs.atime = 1700000000;
  attrs.mtime = 1700000001;
  attrs.extended = {{"x@example.com", "v"}};
  const Bytes packet = PacketWriter(PacketType::attrs).u32(1).attrs(attrs).finish();
  PacketReader r(std::span<const std::uint8_t>(packet).subspan(4));
  EXPECT_EQ(r.u8(), static_cast<std::uint8_t>(PacketType::attrs));
  EXPECT_EQ(r.u32(), 1u);
  EXPECT_EQ(r.attrs(), attrs);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(SftpWire, AReadPastTheEndFailsForGood) {
  const Bytes body = {0, 0, 0, 9, 'a'};  // a string claiming 9 bytes with 1 there
  PacketReader r(body);
  EXPECT_EQ(r.string(), "");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(SftpWire, AnExtendedCountBeyondThePacketIsRefusedWithoutLooping) {
  const Bytes body = {0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};  // extended flag, 4 billion pairs
  PacketReader r(body);
  r.attrs();
  EXPECT_FALSE(r.ok());
}

TEST(SftpWire, PermissionsPrintAsLsDoes) {
  EXPECT_EQ(permission_text(0100644), "-rw-r--r--");
  EXPECT_EQ(permission_text(040755), "drwxr-xr-x");
  EXPECT_EQ(permission_text(0120777), "lrwxrwxrwx");
  EXPECT_EQ(permission_text(041777), "drwxrwxrwt");
  EXPECT_EQ(permission_text(0104755), "-rwsr-xr-x");
  EXPECT_EQ(permission_text(std::nullopt), "?---------");
}

TEST(SftpWire, StatusCodesReadAsWords) {
  EXPECT_EQ(status_words(StatusCode::permission_denied), "permission denied");
  EXPECT_EQ(status_words(StatusCode::no_such_file), "no such file or folder");
  EXPECT_EQ(status_words(static_cast<StatusCode>(99)), "status 99");
}

}  // namespace
}  // namespace sshrelay::sftp
