// FileSession against a scripted server: the orders and shapes of replies OpenSSH's sftp-server never
// produces (replies out of order, short reads, a reply to nothing, a failing WRITE), which the native
// tests against the real server cannot reach. Runs natively and as wasm.
#include "core/sftp/file_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sshrelay::sftp {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Request {
  PacketType type{};
  RequestId id = 0;
  std::string first;  // path or handle
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  Bytes data;
};

// Parses what the session sent; answers are written by each test.
class ScriptedServer {
 public:
  explicit ScriptedServer(FileSession& session) : session_(session) {}

  std::vector<Request> requests() {
    std::vector<Request> out;
    auto bytes = session_.take_output();
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    std::size_t at = 0;
    while (buffer_.size() - at >= 4) {
      PacketReader len({buffer_.data() + at, 4});
      const std::uint32_t n = len.u32();
      if (buffer_.size() - at - 4 < n) break;
      PacketReader r({buffer_.data() + at + 4, n});
      at += 4 + n;
      const auto type = static_cast<PacketType>(r.u8());
      if (type == PacketType::init) {
        r.u32();
        continue;
      }
      Request q;
      q.type = type;
      q.id = r.u32();
      q.first = r.string();
      if (type == PacketType::read) {
        q.offset = r.u64();
        q.length = r.u32();
      } else if (type == PacketType::write) {
        q.offset = r.u64();
        auto d = r.bytes();
        q.data.assign(d.begin(), d.end());
      }
      out.push_back(std::move(q));
    }
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(at));
    return out;
  }

  void send(const Bytes& packet) { ASSERT_TRUE(session_.on_bytes(packet).ok()); }
  void version() { send(PacketWriter(PacketType::version).u32(3).string("posix-rename@openssh.com").string("1").finish()); }
  void status(RequestId id, StatusCode code, std::string_view message = "") {
    send(PacketWriter(PacketType::status).u32(id).u32(static_cast<std::uint32_t>(code)).string(message).string("").finish());
  }
  void handle(RequestId id, std::string_view h) { send(PacketWriter(PacketType::handle).u32(id).string(h).finish()); }
  void data(RequestId id, const Bytes& d) { send(PacketWriter(PacketType::data).u32(id).string(std::span<const std::uint8_t>(d)).finish()); }
  void size(RequestId id, std::uint64_t size) {
    FileAttributes a;
    a.size = size;
    send(PacketWriter(PacketType::attrs).u32(id).attrs(a).finish());
  }

 private:
  FileSession& session_;
  Bytes buffer_;
};

std::vector<FileEvent> drain(FileSession& s) {
  std::vector<FileEvent> out;
  while (auto e = s.next_event()) out.push_back(std::move(*e));
  return out;
}

Bytes pattern(std::uint64_t offset, std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((offset + i) * 7);
  return b;
}

FileSessionConfig small_transfers() {
  FileSessionConfig c;
  c.transfer.chunk = 1024;
  c.transfer.requests_in_flight = 4;
  c.transfer.window = 64 * 1024;
  return c;
}

TEST(SftpClient, ParsesTheVersionFedOneByteAtATime) {
  Client client;
  client.start();
  const Bytes init = client.take_output();
  EXPECT_EQ(init, (Bytes{0, 0, 0, 5, 1, 0, 0, 0, 3}));
  const Bytes version = PacketWriter(PacketType::version).u32(3).string("limits@openssh.com").string("1").finish();
  for (auto b : version) ASSERT_TRUE(client.on_bytes({&b, 1}).ok());
  EXPECT_TRUE(client.ready());
  EXPECT_EQ(client.extensions().at("limits@openssh.com"), "1");
}

TEST(SftpClient, RefusesWhatBreaksTheProtocolForGood) {
  struct Case {
    const char* what;
    Bytes bytes;
    const char* message;
  };
  const Bytes version = PacketWriter(PacketType::version).u32(3).finish();
  const std::vector<Case> cases = {
      {"a reply before VERSION", PacketWriter(PacketType::status).u32(1).u32(0).finish(), "before the server's VERSION"},
      {"an oversized packet", {0x7f, 0, 0, 0, 2}, "SFTP packet of 2130706432 bytes"},
      {"a reply to nothing", PacketWriter(PacketType::handle).u32(42).string("h").finish(), "not outstanding"},
      {"an unknown type", PacketWriter(static_cast<PacketType>(150)).u32(1).finish(), "unknown type 150"},
  };
  for (const auto& c : cases) {
    Client client;
    client.start();
    if (std::string(c.what) != "a reply before VERSION") {
      ASSERT_TRUE(client.on_bytes(version).ok());
    }
    auto status = client.on_bytes(c.bytes);
    ASSERT_FALSE(status.ok()) << c.what;
    EXPECT_EQ(status.error().kind, ErrorKind::remote_protocol);
    EXPECT_NE(status.error().message.find(c.message), std::string::npos) << c.what << ": " << status.error().message;
    EXPECT_TRUE(client.failed());
    EXPECT_FALSE(client.on_bytes(version).ok()) << "failed for good";
  }
}

TEST(SftpDownload, ReordersRepliesAndAsksAgainForWhatAShortReadLeftOut) {
  FileSession session(small_transfers());
  ScriptedServer server(session);
  session.start();
  const auto op = session.download("/f");
  server.version();
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  server.handle(reqs[0].id, "H");
  reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u) << "fstat, then 4 reads in flight";
  ASSERT_EQ(reqs[0].type, PacketType::fstat);
  // Reads answered last to first, the second one short; the size comes after the data.
  server.data(reqs[4].id, pattern(3072, 1024));
  server.data(reqs[3].id, pattern(2048, 1024));
  server.data(reqs[2].id, pattern(1024, 100));
  server.data(reqs[1].id, pattern(0, 1024));
  server.size(reqs[0].id, 4096);
  auto events = drain(session);
  ASSERT_GE(events.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<DownloadStarted>(events[0])) << "the size comes before any data";
  EXPECT_EQ(std::get<DownloadStarted>(events[0]).size, 4096u);
  Bytes got;
  for (const auto& e : events) {
    if (auto* d = std::get_if<DownloadData>(&e)) {
      EXPECT_EQ(d->offset, got.size());
      got.insert(got.end(), d->bytes.begin(), d->bytes.end());
    }
  }
  EXPECT_EQ(got, pattern(0, 1124)) << "delivered in order up to the hole the short read left";
  // Meanwhile the freed slots went to new reads past 4096; the rest of the short read is among them,
  // ahead of any read issued after it.
  reqs = server.requests();
  auto retry = std::find_if(reqs.begin(), reqs.end(), [](const Request& r) { return r.offset == 1124; });
  ASSERT_NE(retry, reqs.end()) << "the rest of the short read is asked for again";
  EXPECT_EQ(retry->length, 924u);
  for (const auto& r : reqs) EXPECT_TRUE(r.offset == 1124 || r.offset >= 4096) << r.offset;
  server.data(retry->id, pattern(1124, 924));
  for (const auto& r : reqs) {
    if (r.id != retry->id) server.status(r.id, StatusCode::eof);
  }
  for (const auto& e : drain(session)) {
    if (auto* d = std::get_if<DownloadData>(&e)) got.insert(got.end(), d->bytes.begin(), d->bytes.end());
  }
  EXPECT_EQ(got, pattern(0, 4096));
  // Reads sent before the end of file was known are answered EOF too; then the handle is closed.
  for (int round = 0; round < 10; ++round) {
    reqs = server.requests();
    if (reqs.empty() || reqs[0].type == PacketType::close) break;
    for (const auto& r : reqs) {
      EXPECT_EQ(r.type, PacketType::read);
      server.status(r.id, StatusCode::eof);
    }
    EXPECT_TRUE(drain(session).empty());
  }
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].type, PacketType::close);
  server.status(reqs[0].id, StatusCode::ok);
  auto last = drain(session);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(std::get<Done>(last[0]).bytes, 4096u);
  EXPECT_EQ(session.active(), 0u);
  (void)op;
}

TEST(SftpDownload, MoreDataThanAskedForFailsTheDownloadAndClosesTheHandle) {
  FileSession session(small_transfers());
  ScriptedServer server(session);
  session.start();
  session.download("/f");
  server.version();
  server.handle(server.requests()[0].id, "H");
  auto reqs = server.requests();
  server.size(reqs[0].id, 10);
  server.data(reqs[1].id, pattern(0, 2000));
  auto events = drain(session);
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(std::holds_alternative<Failed>(events.back()));
  EXPECT_EQ(std::get<Failed>(events.back()).message, "downloading /f: the server sent more than was asked for");
  bool closed = false;
  for (const auto& r : server.requests()) closed = closed || r.type == PacketType::close;
  EXPECT_TRUE(closed);
}

TEST(SftpUpload, AFailingWriteSaysWhatIsOnTheServer) {
  FileSession session(small_transfers());
  ScriptedServer server(session);
  session.start();
  const auto op = session.upload("/up");
  server.version();
  EXPECT_EQ(session.upload_room(op), 0u) << "no room before the file is open";
  server.handle(server.requests()[0].id, "H");
  ASSERT_EQ(session.upload_room(op), 64u * 1024);
  ASSERT_TRUE(session.upload_push(op, pattern(0, 4096)).ok());
  EXPECT_FALSE(session.upload_push(op, Bytes(64 * 1024)).ok()) << "more than the room is the caller's error";
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[2].offset, 2048u);
  EXPECT_EQ(reqs[2].data, pattern(2048, 1024));
  server.status(reqs[0].id, StatusCode::ok);
  server.status(reqs[2].id, StatusCode::ok);  // confirmed, but not a prefix yet
  server.status(reqs[1].id, StatusCode::failure, "Failure");
  auto events = drain(session);
  ASSERT_FALSE(events.empty());
  const auto* failed = std::get_if<Failed>(&events.back());
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->message,
            "uploading /up: writing at byte 1024: the server could not do it (the disk may be full); the file on the "
            "server is incomplete (1024 bytes written)");
}

TEST(SftpUpload, AnEmptyFileIsCreatedAndClosed) {
  FileSession session(small_transfers());
  ScriptedServer server(session);
  session.start();
  const auto op = session.upload("/empty");
  ASSERT_TRUE(session.upload_finish(op).ok());
  server.version();
  server.handle(server.requests()[0].id, "H");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].type, PacketType::close);
  server.status(reqs[0].id, StatusCode::ok);
  auto events = drain(session);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<UploadProgress>(events[0]).written, 0u) << "the file is open";
  EXPECT_EQ(std::get<Done>(events[1]).bytes, 0u);
}

TEST(SftpFileSession, AProtocolErrorEndsEveryOperation) {
  FileSession session;
  ScriptedServer server(session);
  session.start();
  const auto a = session.list("/a");
  const auto b = session.stat("/b");
  server.version();
  server.requests();
  EXPECT_FALSE(session.on_bytes(Bytes{0xff, 0xff, 0xff, 0xff}).ok());
  auto events = drain(session);
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) {
    ASSERT_TRUE(std::holds_alternative<Failed>(e));
    EXPECT_NE(std::get<Failed>(e).message.find("the server broke the SFTP protocol"), std::string::npos);
  }
  EXPECT_EQ(operation_of(events[0]), a);
  EXPECT_EQ(operation_of(events[1]), b);
  EXPECT_EQ(session.active(), 0u);
}

TEST(SftpFileSession, ARealpathOrStatAnswersWithItsResultThenDone) {
  FileSession session;
  ScriptedServer server(session);
  session.start();
  const auto rp = session.realpath(".");
  server.version();
  auto reqs = server.requests();
  server.send(PacketWriter(PacketType::name).u32(reqs[0].id).u32(1).string("/home/u").string("").u32(0).finish());
  auto events = drain(session);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<Resolved>(events[0]).path, "/home/u");
  EXPECT_EQ(operation_of(events[1]), rp);
  EXPECT_TRUE(std::holds_alternative<Done>(events[1]));
}

}  // namespace
}  // namespace sshrelay::sftp
