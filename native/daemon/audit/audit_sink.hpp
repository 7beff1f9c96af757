#pragma once
// One destination of the audit trail (stderr, a JSONL file, Splunk HEC, PAN-OS User-ID). Each sink owns a
// bounded queue and its own worker (a thread, or a strand of the audit I/O context), so a slow or dead
// destination delays only itself: submit() never waits for I/O. When the queue is full the event is
// dropped and counted; the counter is reported (audit.lost) and shown by lost_counts().
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/audit/audit_event.hpp"

namespace sshrelay::daemon::audit {

using Clock = std::chrono::steady_clock;

// An event as every sink shares it. Its JSON line is made on first use, by whichever sink worker needs it
// first, so emit() on a session's strand only moves the event into a shared record.
class AuditRecord {
 public:
  explicit AuditRecord(AuditEvent e, AuditFormat format = AuditFormat::sshrelay);
  const AuditEvent event;
  const AuditFormat format;
  // to_json_line(event, format): one line, no newline. Thread-safe; computed once.
  const std::string& json() const;
  // A cheap estimate of json().size(), for batch byte limits (taken under the queue lock).
  std::size_t approx_size() const { return approx_size_; }

 private:
  std::size_t approx_size_;
  mutable std::once_flag once_;
  mutable std::string json_;
};
using RecordPtr = std::shared_ptr<const AuditRecord>;
RecordPtr make_record(AuditEvent event, AuditFormat format = AuditFormat::sshrelay);

struct SinkStats {
  std::string name;
  std::uint64_t delivered = 0;  // events the destination took
  std::uint64_t lost = 0;       // dropped: queue full, rejected, or still undelivered at stop
  std::size_t queued = 0;
  bool healthy = true;          // the last delivery attempt worked (or there was none yet)
};

class AuditSink {
 public:
  AuditSink(std::string name, std::size_t capacity);
  virtual ~AuditSink() = default;
  AuditSink(const AuditSink&) = delete;
  AuditSink& operator=(const AuditSink&) = delete;

  const std::string& name() const { return name_; }
  std::size_t capacity() const { return capacity_; }

  // Thread-safe and never blocks on I/O (a short lock around a deque). Returns false when the event was
  // dropped: queue full, or the sink is stopping; the lost counter counts it. Events the sink does not
  // handle at all (accepts() false, e.g. PAN ignores auth.denied) return true and count nowhere.
  bool submit(RecordPtr record);

  std::uint64_t lost() const { return lost_.load(); }
  std::uint64_t delivered() const { return delivered_.load(); }
  bool healthy() const { return healthy_.load(); }
  std::size_t queued() const;
  SinkStats stats() const;

  virtual void start() = 0;
  // Stop taking events, deliver what is queued until `deadline`, then give up: whatever is left counts as
  // lost. Non-blocking; join() waits for the end. A destination that hangs is cut at the deadline (the
  // threaded sinks can only be cut between writes: a write(2) stuck in the kernel delays join()).
  virtual void request_stop(Clock::time_point deadline) = 0;
  virtual void join() = 0;
  void stop(Clock::time_point deadline) {
    request_stop(deadline);
    join();
  }

 protected:
  // Whether this sink handles the event at all.
  virtual bool accepts(const AuditRecord&) const { return true; }
  // Called after submit() queued a record, outside the lock: wake the worker.
  virtual void on_queued(std::size_t queued_now) = 0;

  // Up to max_count records (and about max_bytes of JSON, at least one record) from the front.
  std::vector<RecordPtr> take(std::size_t max_count, std::size_t max_bytes = static_cast<std::size_t>(-1));
  // Refuses further submits; returns how many records were queued at that moment.
  std::size_t close_queue();
  bool queue_closed() const;
  // Drops everything queued, counting it as lost; returns the count.
  std::size_t drop_queued();
  // For thread-driven sinks: waits until a record is queued, the queue is closed, or `until`.
  void wait_for_records(Clock::time_point until);

  void count_delivered(std::size_t n) { delivered_ += n; }
  void count_lost(std::size_t n) { lost_ += n; }
  // Logs transitions only (first failure, recovery), so a dead destination does not flood the log.
  void set_healthy(bool healthy, const std::string& why = {});

 private:
  const std::string name_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<RecordPtr> queue_;
  bool closed_ = false;
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> failures_{0};  // consecutive failed attempts, for the recovery message
};

// A sink whose writes are blocking system calls (stderr, a local file), run on a thread of its own.
class ThreadedSink : public AuditSink {
 public:
  using AuditSink::AuditSink;
  ~ThreadedSink() override;  // a sink still running is stopped at once (derived classes stop first)

  void start() override;
  void request_stop(Clock::time_point deadline) override;
  void join() override;

 protected:
  // Writes a batch in order; returns false if it could not (the batch then counts as lost).
  virtual bool write_batch(const std::vector<RecordPtr>& batch) = 0;
  // Runs on the worker thread after the last batch (close files).
  virtual void finish() {}
  void on_queued(std::size_t) override {}
  void stop_now();  // for derived destructors: stop before members go away

  static constexpr std::size_t kBatch = 256;

 private:
  void run();

  std::thread thread_;
  std::mutex stop_mutex_;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::atomic<bool> stop_requested_{false};
};

}  // namespace sshrelay::daemon::audit
