// The sink basics: a bounded queue that drops and counts instead of blocking, stderr JSON lines, and the
// JSONL file's size-based rotation, checked on disk.
#include "native/daemon/audit/audit_sink.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "native/daemon/audit/jsonl_file_sink.hpp"
#include "native/daemon/audit/stderr_sink.hpp"
#include "tests/native/audit_test_support.hpp"

namespace sshrelay::daemon::audit {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::read_file;
using testing::ScratchDir;
using testing::split_lines;

RecordPtr numbered(int i, std::size_t padding = 0) {
  AuditEvent e;
  e.type = AuditEventType::session_start;
  e.time_ms = 1714566896789 + i;
  e.principal = "alice@example.com";
  e.sid = "s" + std::to_string(i);
  e.reason = std::string(padding, 'x');
  return make_record(std::move(e));
}

int number_of(const std::string& line) {
  const auto j = json::parse(line);
  return std::stoi(j.at("sshrelay.sid").get<std::string>().substr(1));
}

// A sink whose worker never runs: records stay queued.
class StuckSink final : public AuditSink {
 public:
  using AuditSink::AuditSink;
  void start() override {}
  void request_stop(Clock::time_point) override { close_queue(); }
  void join() override { drop_queued(); }

 private:
  void on_queued(std::size_t) override {}
};

TEST(AuditSinkQueue, DropsAndCountsWhenFullInsteadOfWaiting) {
  StuckSink sink("stuck", 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(sink.submit(numbered(i)));
  EXPECT_FALSE(sink.submit(numbered(3)));
  EXPECT_FALSE(sink.submit(numbered(4)));
  EXPECT_EQ(sink.queued(), 3u);
  EXPECT_EQ(sink.lost(), 2u);
  EXPECT_EQ(sink.delivered(), 0u);
  // After stop, submits are refused and counted; what was queued is lost too.
  sink.stop(Clock::now());
  EXPECT_FALSE(sink.submit(numbered(5)));
  EXPECT_EQ(sink.lost(), 6u);
  EXPECT_EQ(sink.queued(), 0u);
}

TEST(StderrSink, WritesOneJsonLinePerEvent) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    StderrSink sink(100, out);
    sink.start();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(sink.submit(numbered(i)));
    sink.stop(Clock::now() + 60s);  // all deliverable: the deadline only bounds a starved worker
    EXPECT_EQ(sink.delivered(), 5u);
    EXPECT_EQ(sink.lost(), 0u);
  }
  std::rewind(out);
  std::string text;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, out)) text.append(buffer, n);
  std::fclose(out);
  const auto lines = split_lines(text);
  ASSERT_EQ(lines.size(), 5u) << text;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(number_of(lines[i]), i);
    EXPECT_EQ(json::parse(lines[i]).at("event.action"), "session.start");
  }
}

TEST(JsonlFileSink, RotatesBySizeAndKeepsN) {
  ScratchDir dir;
  const std::string path = dir.file("audit.jsonl");
  constexpr std::uint64_t kMax = 4096;
  constexpr int kEvents = 200;
  {
    JsonlFileSink sink({path, kMax, 3, true}, 1000);
    ASSERT_TRUE(sink.open().ok());
    sink.start();
    for (int i = 0; i < kEvents; ++i) ASSERT_TRUE(sink.submit(numbered(i, 150)));
    sink.stop(Clock::now() + 120s);  // up to 200 fdatasyncs on a busy disk
    EXPECT_EQ(sink.delivered(), static_cast<std::uint64_t>(kEvents));
    EXPECT_EQ(sink.lost(), 0u);
  }
  // FILE, FILE.1 .. FILE.3 and nothing older.
  for (const char* suffix : {"", ".1", ".2", ".3"}) {
    ASSERT_TRUE(std::filesystem::exists(path + suffix)) << suffix;
    EXPECT_LE(std::filesystem::file_size(path + suffix), kMax) << suffix;
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".4"));
  // Created by the sink: not readable by others.
  EXPECT_EQ((std::filesystem::status(path).permissions() & std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  // Oldest to newest, the kept lines are the most recent events, contiguous, ending with the last one.
  std::vector<int> numbers;
  for (const char* suffix : {".3", ".2", ".1", ""}) {
    const auto lines = split_lines(read_file(path + suffix));
    EXPECT_FALSE(lines.empty()) << suffix;
    for (const auto& line : lines) numbers.push_back(number_of(line));
  }
  ASSERT_FALSE(numbers.empty());
  EXPECT_EQ(numbers.back(), kEvents - 1);
  for (std::size_t i = 1; i < numbers.size(); ++i) ASSERT_EQ(numbers[i], numbers[i - 1] + 1) << "at " << i;
  EXPECT_LT(numbers.size(), static_cast<std::size_t>(kEvents));  // older files were really dropped
  // Every rotated file was filled close to the limit before the next line would have crossed it.
  const auto line_size = read_file(path + ".1").size() / split_lines(read_file(path + ".1")).size();
  EXPECT_GT(std::filesystem::file_size(path + ".1") + line_size, kMax);
}

TEST(JsonlFileSink, AppendsToAnExistingFileAndCountsItsSize) {
  ScratchDir dir;
  const std::string path = dir.file("audit.jsonl");
  const std::string old_line = R"({"old":true})" "\n";
  { std::ofstream(path) << old_line; }
  {
    JsonlFileSink sink({path, 0, 5, false}, 100);
    sink.start();  // opens on the first batch
    ASSERT_TRUE(sink.submit(numbered(1)));
    ASSERT_TRUE(sink.submit(numbered(2)));
    sink.stop(Clock::now() + 60s);
  }
  const auto lines = split_lines(read_file(path));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0] + "\n", old_line);
  EXPECT_EQ(number_of(lines[2]), 2);
}

TEST(JsonlFileSink, KeepZeroStartsAFreshFile) {
  ScratchDir dir;
  const std::string path = dir.file("audit.jsonl");
  {
    JsonlFileSink sink({path, 4096, 0, false}, 1000);
    sink.start();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(sink.submit(numbered(i, 150)));
    sink.stop(Clock::now() + 60s);
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".1"));
  const auto lines = split_lines(read_file(path));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(number_of(lines.back()), 99);
  EXPECT_LE(std::filesystem::file_size(path), 4096u);
}

TEST(JsonlFileSink, AnUnwritablePathIsReportedAndItsEventsCountAsLost) {
  ScratchDir dir;
  JsonlFileSink sink({dir.file("missing/audit.jsonl"), 0, 1, false}, 100);
  const auto opened = sink.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("missing/audit.jsonl"), std::string::npos) << opened.error().message;
  sink.start();
  ASSERT_TRUE(sink.submit(numbered(1)));
  // Past the deadline the batch would be dropped unwritten (lost, but healthy never cleared): the bound
  // must leave the worker time to really try.
  sink.stop(Clock::now() + 60s);
  EXPECT_EQ(sink.lost(), 1u);
  EXPECT_FALSE(sink.healthy());
}

// A slow destination: its first write lasts until the test releases it (so the test knows the worker is
// in the middle of it, whatever the scheduler does), later ones take 300 ms each.
class SlowSink final : public ThreadedSink {
 public:
  SlowSink() : ThreadedSink("slow", 1000) {}
  ~SlowSink() override {
    release();
    stop_now();
  }

  // Waits (bounded) until the worker is inside its first write.
  bool wait_writing() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 60s, [this] { return writing_; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  bool write_batch(const std::vector<RecordPtr>&) override {
    std::unique_lock lock(mutex_);
    if (!writing_) {
      writing_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, 60s, [this] { return released_; });
      return true;
    }
    lock.unlock();
    std::this_thread::sleep_for(300ms);
    return true;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool writing_ = false;
  bool released_ = false;
};

TEST(ThreadedSink, StopGivesUpAtTheDeadlineAndCountsTheRest) {
  SlowSink sink;
  sink.start();
  ASSERT_TRUE(sink.submit(numbered(0)));
  ASSERT_TRUE(sink.wait_writing());  // the worker is writing event 0 now
  for (int i = 1; i < 200; ++i) ASSERT_TRUE(sink.submit(numbered(i)));
  const auto begin = Clock::now();
  const auto deadline = Clock::now() + 100ms;
  sink.request_stop(deadline);
  // The write in progress outlasts the deadline (as a slow destination's would), then ends.
  std::this_thread::sleep_until(deadline + 50ms);
  sink.release();
  sink.join();
  // Bounded (loosely: a loaded machine may be slow to schedule the worker); the counts are the real check:
  // nothing queued behind the write in progress was written after the deadline.
  EXPECT_LT(Clock::now() - begin, 30s);
  EXPECT_EQ(sink.delivered(), 1u);
  EXPECT_EQ(sink.lost(), 199u);
}

}  // namespace
}  // namespace sshrelay::daemon::audit
