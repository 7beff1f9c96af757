// Checks of the subprocess and temp-dir helpers the other fixtures are built on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::testing {
namespace {

using namespace std::chrono_literals;

TEST(TempDir, CreatesPrivateDirectoryAndRemovesIt) {
  std::filesystem::path kept;
  {
    TempDir dir("sshrelay-selftest");
    kept = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(kept));
    EXPECT_TRUE(kept.is_absolute());
    write_file(dir.file("a"), "x");
    std::filesystem::create_directories(dir.path() / "sub" / "deeper");
    write_file(dir.file("sub/deeper/b"), "y");
    const auto perms = std::filesystem::status(kept).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_all);
  }
  const char* keep = std::getenv("SSHRELAY_KEEP_TEST_FILES");
  if (keep == nullptr || std::string(keep) != "1") {
    EXPECT_FALSE(std::filesystem::exists(kept));
  }
}

TEST(TempDir, MoveTransfersOwnership) {
  TempDir a("sshrelay-selftest");
  const auto path = a.path();
  TempDir b(std::move(a));
  EXPECT_EQ(b.path(), path);
  EXPECT_TRUE(std::filesystem::is_directory(path));
}

TEST(Process, RunReportsExitCodeAndCapturesOutput) {
  TempDir dir("sshrelay-selftest");
  write_file(dir.file("in"), "from stdin\n");
  const int code = run({"sh", "-c", "cat; echo to-stderr >&2; exit 3"}, dir.file("in"), dir.file("out"),
                       dir.file("err"), 60s);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(read_file(dir.file("out")), "from stdin\n");
  EXPECT_EQ(read_file(dir.file("err")), "to-stderr\n");
}

TEST(Process, SamePathForStdoutAndStderrKeepsBoth) {
  TempDir dir("sshrelay-selftest");
  ASSERT_EQ(run({"sh", "-c", "echo one; echo two >&2; echo three"}, "", dir.file("log"), dir.file("log"), 60s), 0);
  EXPECT_EQ(read_file(dir.file("log")), "one\ntwo\nthree\n");
}

TEST(Process, DefaultStdinIsDevNull) {
  TempDir dir("sshrelay-selftest");
  // `cat` would block forever on an inherited terminal; with /dev/null it ends at once.
  ASSERT_EQ(run({"cat"}, "", dir.file("out"), "", 60s), 0);
  EXPECT_EQ(read_file(dir.file("out")), "");
}

TEST(Process, RunTimeoutThrowsWithCommandAndStderrTail) {
  TempDir dir("sshrelay-selftest");
  const auto started = std::chrono::steady_clock::now();
  try {
    // The timeout must leave the shell time to write its last words (on a loaded machine, starting sh
    // can take a while): they are what the message is checked for.
    run({"sh", "-c", "echo last words >&2; exec sleep 90"}, "", "", dir.file("err"), 3000ms);
    FAIL() << "run did not time out";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("timed out after 3000 ms"), std::string::npos) << what;
    EXPECT_NE(what.find("exec sleep 90"), std::string::npos) << what;
    EXPECT_NE(what.find("last words"), std::string::npos) << what;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 45s) << "killed at the timeout, not waited for (90 s)";
}

TEST(Process, TerminateUsesSignalThenSigkill) {
  Process polite({"sleep", "30"});
  EXPECT_TRUE(polite.running());
  EXPECT_EQ(polite.terminate(SIGTERM, 20s), 128 + SIGTERM);
  EXPECT_FALSE(polite.running());
  EXPECT_EQ(polite.exit_code(), 128 + SIGTERM);

  // An ignored SIGTERM survives exec, so this child only dies to the SIGKILL after the grace period.
  TempDir dir("sshrelay-selftest");
  Process stubborn({"sh", "-c", "trap '' TERM; echo ready; exec sleep 30"}, {"", dir.file("out"), "", {}});
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (read_file(dir.file("out")).empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "child never got ready";
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(stubborn.terminate(SIGTERM, 200ms), 128 + SIGKILL);
}

TEST(Process, WaitForTimesOutThenSucceeds) {
  Process p({"sh", "-c", "sleep 0.3"});
  EXPECT_EQ(p.wait_for(10ms), std::nullopt);  // it sleeps 300 ms: cannot have exited yet
  EXPECT_EQ(p.wait_for(60s), 0);
}

TEST(Process, EnvironmentIsInheritedAndExtended) {
  TempDir dir("sshrelay-selftest");
  Process p({"sh", "-c", "echo \"$SSHRELAY_SELFTEST_VAR:${HOME:+home-set}\""},
            {"", dir.file("out"), "", {{"SSHRELAY_SELFTEST_VAR", "value"}}});
  ASSERT_EQ(p.wait_for(60s), 0);
  EXPECT_EQ(read_file(dir.file("out")), "value:home-set\n");
}

TEST(Process, ChildInheritsOnlyStandardDescriptors) {
  TempDir dir("sshrelay-selftest");
  // A descriptor without FD_CLOEXEC, like an Asio socket: it must not reach the child.
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 100), 100);
  ::close(fd);
  const int code = run({"sh", "-c", "ls /proc/self/fd"}, "", dir.file("out"), "", 60s);
  ::close(100);
  ASSERT_EQ(code, 0);
  const std::string listing = "\n" + read_file(dir.file("out"));
  EXPECT_EQ(listing.find("\n100\n"), std::string::npos) << listing;
  EXPECT_NE(listing.find("\n2\n"), std::string::npos) << listing;
}

TEST(Process, MissingProgramThrows) {
  EXPECT_THROW(Process({"sshrelay-no-such-program-xyz"}), std::runtime_error);
  EXPECT_THROW(Process({"/nonexistent/sshrelay-no-such-program"}), std::runtime_error);
}

TEST(Process, FormatCommandLineQuotesWhatAShellWouldInterpret) {
  EXPECT_EQ(format_command_line({"ssh", "-o", "ProxyCommand=a b", "it's", ""}),
            "ssh -o 'ProxyCommand=a b' 'it'\\''s' ''");
}

TEST(Files, TailCutsLongFilesAndNamesMissingOnes) {
  TempDir dir("sshrelay-selftest");
  write_file(dir.file("log"), std::string(100, 'a') + "END");
  EXPECT_EQ(file_tail(dir.file("log"), 5), "[...]aaEND");
  EXPECT_NE(file_tail(dir.file("missing")).find("could not be read"), std::string::npos);
}

}  // namespace
}  // namespace sshrelay::testing
