// core/sftp's FileSession against OpenSSH's real sftp-server, over pipes: every operation the file panel
// uses, the server's error statuses in words, large files both ways with many requests in flight, the
// download window bounding memory, cancels, and a server that dies mid-transfer. When the tests run as
// root the server runs as nobody, so that file permissions apply as they do for a real user.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/sftp/file_session.hpp"
#include "tests/support/files.hpp"
#include "tests/support/pipe_child.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::sftp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSftpServer = "/usr/lib/openssh/sftp-server";
constexpr uid_t kNobody = 65534;

// Gives the tree to the user the server runs as (when that is not us).
void hand_over(const fs::path& root) {
  if (::geteuid() != 0) return;
  ASSERT_EQ(::chown(root.c_str(), kNobody, kNobody), 0);
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    ASSERT_EQ(::lchown(entry.path().c_str(), kNobody, kNobody), 0) << entry.path();
  }
}

// A FileSession wired to `sftp-server -d <dir>` through two pipes, pumped by the test.
class ServerLink {
 public:
  explicit ServerLink(const testing::TempDir& dir, FileSessionConfig config = {})
      : log_(dir.path().parent_path() / (dir.path().filename().string() + "-sftp-server.log")),
        server_({kSftpServer, "-e", "-l", "INFO", "-d", dir.path().string()},
                {.stderr_path = log_.string(),
                 .uid = ::geteuid() == 0 ? std::optional<uid_t>(kNobody) : std::nullopt,
                 .gid = ::geteuid() == 0 ? std::optional<gid_t>(kNobody) : std::nullopt}),
        session(config) {
    session.start();
  }
  ~ServerLink() { fs::remove(log_); }

 private:
  fs::path log_;
  testing::PipeChild server_;

 public:
  FileSession session;
  // Called for every event before it is kept in events (a download's data goes to disk here).
  std::function<void(const FileEvent&)> on_event;
  // Called on every turn of the loop (an upload feeds its bytes here).
  std::function<void()> on_turn;
  std::vector<FileEvent> events;
  std::size_t peak_in_flight = 0;

  // Pumps bytes both ways until `done()` or `timeout`; false on timeout.
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (on_turn) on_turn();
      auto out = session.take_output();
      pending_.insert(pending_.end(), out.begin(), out.end());
      if (!pending_.empty() && !server_gone_) {
        const auto n = server_.write_some({pending_.data() + pending_head_, pending_.size() - pending_head_});
        pending_head_ += n;
        if (pending_head_ == pending_.size()) {
          pending_.clear();
          pending_head_ = 0;
        }
      }
      peak_in_flight = std::max(peak_in_flight, session_requests());
      drain_events();
      if (done()) break;
      pollfd fds[2] = {{server_.from_child(), POLLIN, 0}, {server_.to_child(), pending_.empty() ? short{0} : short{POLLOUT}, 0}};
      ::poll(fds, server_gone_ ? 0 : 2, 20);
      if (server_gone_) continue;
      if (auto in = server_.read_some()) {
        if (!in->empty()) {
          auto status = session.on_bytes(*in);
          EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
        }
      } else {
        server_gone_ = true;
        session.on_channel_lost("the SFTP server closed the channel");
      }
      drain_events();
    }
    return true;
  }

  // The operation's final event (pumping until it comes).
  FileEvent finish(OperationId op, std::chrono::milliseconds timeout = 60s) {
    const FileEvent* found = nullptr;
    const bool ok = pump_until([&] { return (found = final_of(op)) != nullptr; }, timeout);
    EXPECT_TRUE(ok) << "operation " << op << " did not end in time; server log:\n" << testing::file_tail(log_.string());
    return found != nullptr ? *found : FileEvent{Failed{op, std::nullopt, "timed out"}};
  }

  template <class T>
  std::vector<T> all(OperationId op) const {
    std::vector<T> out;
    for (const auto& e : events)
      if (auto* t = std::get_if<T>(&e); t && t->op == op) out.push_back(*t);
    return out;
  }

  void kill_server() { server_.kill(); }
  std::string log() const { return testing::file_tail(log_.string()); }

 private:
  std::size_t session_requests() const { return session.requests_in_flight(); }
  void drain_events() {
    while (auto event = session.next_event()) {
      if (on_event) on_event(*event);
      events.push_back(std::move(*event));
    }
  }
  const FileEvent* final_of(OperationId op) const {
    for (const auto& e : events)
      if (is_final(e) && operation_of(e) == op) return &e;
    return nullptr;
  }

  std::vector<std::uint8_t> pending_;
  std::size_t pending_head_ = 0;
  bool server_gone_ = false;
};

std::string describe(const FileEvent& e) {
  if (auto* f = std::get_if<Failed>(&e)) return "Failed: " + f->message;
  if (auto* c = std::get_if<Cancelled>(&e)) return "Cancelled: " + c->message;
  if (std::holds_alternative<Done>(e)) return "Done";
  return "event " + std::to_string(e.index());
}

class SftpFileSessionTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"sftp-session"};
  std::string path(const std::string& name) const { return dir_.file(name); }
};

TEST_F(SftpFileSessionTest, NegotiatesVersion3AndReadsTheServersExtensions) {
  hand_over(dir_.path());
  ServerLink link(dir_);
  ASSERT_TRUE(link.pump_until([&] { return link.session.ready(); })) << link.log();
  EXPECT_TRUE(link.session.extensions().contains("posix-rename@openssh.com"));
}

TEST_F(SftpFileSessionTest, ListsAFolderWithTypesSizesAndPermissions) {
  testing::write_file(path("notes.txt"), "hello\n", 0640);
  fs::create_directory(path("sub"));
  fs::permissions(path("sub"), fs::perms(0750));
  fs::create_symlink("notes.txt", path("link"));
  hand_over(dir_.path());
  ServerLink link(dir_);
  const auto op = link.session.list(dir_.path().string());
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(op))) << link.log();
  auto listed = link.all<Listed>(op);
  ASSERT_EQ(listed.size(), 1u);
  std::map<std::string, DirectoryEntry> by_name;
  for (const auto& e : listed[0].entries) by_name[e.name] = e;
  ASSERT_EQ(by_name.size(), 3u) << "no '.' or '..', nothing else";
  EXPECT_EQ(by_name["notes.txt"].attrs.size, 6u);
  EXPECT_EQ(permission_text(by_name["notes.txt"].attrs.permissions), "-rw-r-----");
  EXPECT_TRUE(by_name["sub"].attrs.is_directory());
  EXPECT_EQ(permission_text(by_name["sub"].attrs.permissions), "drwxr-x---");
  EXPECT_TRUE(by_name["link"].attrs.is_symlink()) << "a listing does not follow links (lstat)";
  EXPECT_TRUE(by_name["notes.txt"].attrs.mtime.has_value());
}

TEST_F(SftpFileSessionTest, ListsAFolderOfThousandsOfEntriesAcrossManyReaddirs) {
  fs::create_directory(path("many"));
  for (int i = 0; i < 1500; ++i) testing::write_file(path("many/f" + std::to_string(i)), "");
  hand_over(dir_.path());
  ServerLink link(dir_);
  const auto op = link.session.list(path("many"));
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(op))) << link.log();
  EXPECT_EQ(link.all<Listed>(op).at(0).entries.size(), 1500u);
}

TEST_F(SftpFileSessionTest, ResolvesTheStartFolderAndStats) {
  testing::write_file(path("a.bin"), std::string(1234, 'x'));
  hand_over(dir_.path());
  ServerLink link(dir_);
  const auto home = link.session.realpath(".");
  const auto st = link.session.stat("a.bin");
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(home)));
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(st)));
  EXPECT_EQ(link.all<Resolved>(home).at(0).path, fs::canonical(dir_.path()).string());
  EXPECT_EQ(link.all<Stated>(st).at(0).attrs.size, 1234u);
}

TEST_F(SftpFileSessionTest, MakesRenamesAndDeletes) {
  testing::write_file(path("old.txt"), "x");
  testing::write_file(path("other.txt"), "y");
  hand_over(dir_.path());
  ServerLink link(dir_);
  const auto mk = link.session.mkdir(path("made"));
  const auto mv = link.session.rename(path("old.txt"), path("made/new.txt"));
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(mk))) << link.log();
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(mv))) << link.log();
  EXPECT_TRUE(fs::exists(path("made/new.txt")));
  EXPECT_FALSE(fs::exists(path("old.txt")));

  // SFTP v3's rename never replaces: the existing file stays and the failure says so.
  const auto clash = link.session.rename(path("other.txt"), path("made/new.txt"));
  const auto clash_end = link.finish(clash);
  ASSERT_TRUE(std::holds_alternative<Failed>(clash_end));
  EXPECT_EQ(testing::read_file(path("made/new.txt")), "x");

  // A folder with something in it is not deleted.
  const auto full = link.session.rmdir(path("made"));
  const auto full_end = link.finish(full);
  ASSERT_TRUE(std::holds_alternative<Failed>(full_end));
  EXPECT_NE(std::get<Failed>(full_end).message.find("deleting folder " + path("made")), std::string::npos)
      << std::get<Failed>(full_end).message;
  EXPECT_TRUE(fs::exists(path("made")));

  const auto rm = link.session.remove(path("made/new.txt"));
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(rm)));
  const auto rd = link.session.rmdir(path("made"));
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(rd)));
  EXPECT_FALSE(fs::exists(path("made")));
}

TEST_F(SftpFileSessionTest, SaysWhatIsWrongInWords) {
  testing::write_file(path("secret"), "s", 0600);
  fs::create_directory(path("locked"));
  hand_over(dir_.path());
  fs::permissions(path("secret"), fs::perms::none);
  fs::permissions(path("locked"), fs::perms(0555));
  ServerLink link(dir_);
  const auto missing = link.session.stat(path("nope"));
  const auto denied = link.session.download(path("secret"));
  const auto denied_up = link.session.upload(path("locked/new.bin"));
  const auto missing_list = link.session.list(path("nope"));

  auto f = link.finish(missing);
  ASSERT_TRUE(std::holds_alternative<Failed>(f));
  EXPECT_EQ(std::get<Failed>(f).code, StatusCode::no_such_file);
  EXPECT_EQ(std::get<Failed>(f).message, path("nope") + ": no such file or folder");

  f = link.finish(denied);
  ASSERT_TRUE(std::holds_alternative<Failed>(f)) << describe(f);
  EXPECT_EQ(std::get<Failed>(f).code, StatusCode::permission_denied);
  EXPECT_EQ(std::get<Failed>(f).message, "downloading " + path("secret") + ": permission denied");

  f = link.finish(denied_up);
  ASSERT_TRUE(std::holds_alternative<Failed>(f)) << describe(f);
  EXPECT_EQ(std::get<Failed>(f).code, StatusCode::permission_denied);
  EXPECT_FALSE(fs::exists(path("locked/new.bin")));

  f = link.finish(missing_list);
  ASSERT_TRUE(std::holds_alternative<Failed>(f));
  EXPECT_EQ(std::get<Failed>(f).message, "listing " + path("nope") + ": no such file or folder");
}

// Writes downloaded bytes to a file and consumes them at once, checking they come strictly in order.
struct DiskSink {
  explicit DiskSink(const std::string& file) : out(file, std::ios::binary) {}
  void operator()(ServerLink& link, OperationId op, const FileEvent& e) {
    if (auto* d = std::get_if<DownloadData>(&e); d && d->op == op) {
      EXPECT_EQ(d->offset, written) << "data out of order";
      out.write(reinterpret_cast<const char*>(d->bytes.data()), static_cast<std::streamsize>(d->bytes.size()));
      written += d->bytes.size();
      ASSERT_TRUE(link.session.consumed(op, d->bytes.size()).ok());
    }
  }
  std::ofstream out;
  std::uint64_t written = 0;
};

TEST_F(SftpFileSessionTest, Downloads32MiBWithManyReadsInFlight) {
  constexpr std::uint64_t kSize = 32ull << 20;
  testing::write_random_file(path("big.bin"), kSize, 7);
  hand_over(dir_.path());
  testing::TempDir local("sftp-local");
  ServerLink link(dir_);
  DiskSink sink(local.file("big.bin"));
  OperationId op = 0;
  link.on_event = [&](const FileEvent& e) { sink(link, op, e); };
  op = link.session.download(path("big.bin"));
  const auto end = link.finish(op, 120s);
  ASSERT_TRUE(std::holds_alternative<Done>(end)) << describe(end) << link.log();
  sink.out.close();
  EXPECT_EQ(std::get<Done>(end).bytes, kSize);
  EXPECT_EQ(link.all<DownloadStarted>(op).at(0).size, kSize);
  EXPECT_EQ(testing::sha256_file_hex(local.file("big.bin")), testing::sha256_file_hex(path("big.bin")));
  EXPECT_GE(link.peak_in_flight, 32u) << "reads should be pipelined, as OpenSSH's sftp does (64 x 32 KiB)";
  EXPECT_EQ(link.session.active(), 0u) << "the operation is gone once its handle is closed";
}

TEST_F(SftpFileSessionTest, Uploads32MiBWithManyWritesInFlight) {
  constexpr std::uint64_t kSize = 32ull << 20;
  testing::TempDir local("sftp-local");
  testing::write_random_file(local.file("up.bin"), kSize, 11);
  hand_over(dir_.path());
  ServerLink link(dir_);
  std::ifstream in(local.file("up.bin"), std::ios::binary);
  const auto op = link.session.upload(path("up.bin"));
  bool finished = false;
  std::vector<std::uint8_t> buffer;
  link.on_turn = [&] {
    while (!finished) {
      const std::size_t room = link.session.upload_room(op);
      if (room == 0) return;
      buffer.resize(std::min<std::size_t>(room, 1 << 20));
      in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
      buffer.resize(static_cast<std::size_t>(in.gcount()));
      if (buffer.empty()) {
        ASSERT_TRUE(link.session.upload_finish(op).ok());
        finished = true;
        return;
      }
      ASSERT_TRUE(link.session.upload_push(op, buffer).ok());
    }
  };
  const auto end = link.finish(op, 120s);
  ASSERT_TRUE(std::holds_alternative<Done>(end)) << describe(end) << link.log();
  EXPECT_EQ(std::get<Done>(end).bytes, kSize);
  EXPECT_EQ(testing::sha256_file_hex(path("up.bin")), testing::sha256_file_hex(local.file("up.bin")));
  EXPECT_GE(link.peak_in_flight, 32u) << "writes should be pipelined";
  auto progress = link.all<UploadProgress>(op);
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end(),
                             [](const auto& a, const auto& b) { return a.written < b.written; }));
  EXPECT_EQ(progress.back().written, kSize);
}

TEST_F(SftpFileSessionTest, AnOwnerThatDoesNotConsumeHoldsTheDownloadToItsWindow) {
  testing::write_random_file(path("big.bin"), 8 << 20, 3);
  hand_over(dir_.path());
  FileSessionConfig config;
  config.transfer.window = 1 << 20;
  ServerLink link(dir_, config);
  std::uint64_t delivered = 0;
  OperationId op = 0;
  link.on_event = [&](const FileEvent& e) {
    if (auto* d = std::get_if<DownloadData>(&e); d && d->op == op) delivered += d->bytes.size();
  };
  op = link.session.download(path("big.bin"));
  // Nothing consumed: it stalls at the window.
  link.pump_until([] { return false; }, 1500ms);
  EXPECT_LE(delivered, config.transfer.window);
  EXPECT_GE(delivered, config.transfer.window - config.transfer.chunk);
  // Consuming lets it finish.
  link.on_event = [&](const FileEvent& e) {
    if (auto* d = std::get_if<DownloadData>(&e); d && d->op == op) delivered += d->bytes.size();
    if (std::holds_alternative<DownloadData>(e)) {
      ASSERT_TRUE(link.session.consumed(op, std::get<DownloadData>(e).bytes.size()).ok());
    }
  };
  ASSERT_TRUE(link.session.consumed(op, delivered).ok());
  const auto end = link.finish(op);
  ASSERT_TRUE(std::holds_alternative<Done>(end)) << describe(end);
  EXPECT_EQ(delivered, 8u << 20);
}

TEST_F(SftpFileSessionTest, APreviewReadsOnlyTheFirstBytes) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  testing::write_file(path("log.txt"), text);
  testing::write_file(path("empty"), "");
  hand_over(dir_.path());
  ServerLink link(dir_);
  std::string got;
  link.on_event = [&](const FileEvent& e) {
    if (auto* d = std::get_if<DownloadData>(&e)) got.append(d->bytes.begin(), d->bytes.end());
  };
  const auto op = link.session.download(path("log.txt"), 4096);
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(op)));
  EXPECT_EQ(got, text.substr(0, 4096));
  EXPECT_EQ(link.all<DownloadStarted>(op).at(0).size, 4096u);

  got.clear();
  const auto empty = link.session.download(path("empty"));
  const auto end = link.finish(empty);
  ASSERT_TRUE(std::holds_alternative<Done>(end));
  EXPECT_EQ(std::get<Done>(end).bytes, 0u);
  EXPECT_TRUE(got.empty());
}

TEST_F(SftpFileSessionTest, ACancelledUploadRemovesItsPartialFileAndTheSessionGoesOn) {
  hand_over(dir_.path());
  ServerLink link(dir_);
  const auto op = link.session.upload(path("partial.bin"));
  std::vector<std::uint8_t> chunk(256 * 1024, 0x5a);
  std::uint64_t pushed = 0;
  link.on_turn = [&] {
    const std::size_t room = link.session.upload_room(op);
    if (room == 0 || pushed >= (4u << 20)) return;
    const std::size_t n = std::min(room, chunk.size());
    ASSERT_TRUE(link.session.upload_push(op, {chunk.data(), n}).ok());
    pushed += n;
  };
  ASSERT_TRUE(link.pump_until([&] { return !link.all<UploadProgress>(op).empty(); })) << link.log();
  ASSERT_TRUE(fs::exists(path("partial.bin")));
  link.on_turn = nullptr;
  link.session.cancel(op);
  const auto end = link.finish(op);
  ASSERT_TRUE(std::holds_alternative<Cancelled>(end)) << describe(end);
  EXPECT_EQ(std::get<Cancelled>(end).message, "the partial file was removed");
  EXPECT_FALSE(fs::exists(path("partial.bin")));
  EXPECT_EQ(link.session.upload_room(op), 0u);

  const auto list = link.session.list(dir_.path().string());
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(list)));
  EXPECT_TRUE(link.all<Listed>(list).at(0).entries.empty());
}

TEST_F(SftpFileSessionTest, ACancelledDownloadEndsAndTheSessionGoesOn) {
  testing::write_random_file(path("big.bin"), 16 << 20, 5);
  hand_over(dir_.path());
  ServerLink link(dir_);
  const auto op = link.session.download(path("big.bin"));
  ASSERT_TRUE(link.pump_until([&] { return !link.all<DownloadData>(op).empty(); }));
  link.session.cancel(op);
  const auto end = link.finish(op);
  ASSERT_TRUE(std::holds_alternative<Cancelled>(end));
  ASSERT_TRUE(link.pump_until([&] { return link.session.active() == 0; })) << "the handle is closed";
  const auto st = link.session.stat(path("big.bin"));
  ASSERT_TRUE(std::holds_alternative<Done>(link.finish(st)));
}

TEST_F(SftpFileSessionTest, AServerThatDiesMidUploadFailsItSayingWhatIsOnTheServer) {
  hand_over(dir_.path());
  ServerLink link(dir_);
  const auto op = link.session.upload(path("cut.bin"));
  std::vector<std::uint8_t> chunk(256 * 1024, 0x11);
  link.on_turn = [&] {
    const std::size_t room = link.session.upload_room(op);
    if (room > 0) {
      ASSERT_TRUE(link.session.upload_push(op, {chunk.data(), std::min(room, chunk.size())}).ok());
    }
  };
  ASSERT_TRUE(link.pump_until([&] { return !link.all<UploadProgress>(op).empty(); }));
  link.kill_server();
  const auto end = link.finish(op);
  ASSERT_TRUE(std::holds_alternative<Failed>(end)) << describe(end);
  const auto& message = std::get<Failed>(end).message;
  EXPECT_NE(message.find("the SFTP server closed the channel"), std::string::npos) << message;
  EXPECT_NE(message.find("the file on the server is incomplete ("), std::string::npos) << message;
  EXPECT_TRUE(link.session.failed());
  // Operations started after the loss fail at once, with the same reason.
  const auto late = link.session.stat(".");
  EXPECT_TRUE(std::holds_alternative<Failed>(link.finish(late)));
}

}  // namespace
}  // namespace sshrelay::sftp
