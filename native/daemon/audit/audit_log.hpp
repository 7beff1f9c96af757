#pragma once
// The audit trail: one AuditLog per daemon fans every event out to the configured sinks in parallel.
// Each sink has its own bounded queue and worker (stderr and the JSONL file: a thread each; Splunk HEC and
// PAN User-ID: a strand each on the audit's own I/O thread), so a slow or dead destination loses events
// only from its own queue and never delays a session or the other sinks. emit() puts the event in one
// shared record and queues it everywhere without waiting for I/O; the JSON is made once, off the caller's
// thread, by the first sink worker that needs it.
//
// Lost events are counted per sink (lost_counts(), for /statz). Every lost_report_interval, if any
// counter rose, an audit.lost event with every sink's totals goes to each sink that is healthy (its last
// delivery worked), and a warning goes to the operational log.
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/audit/audit_event.hpp"
#include "core/common/result.hpp"
#include "native/daemon/audit/audit_config.hpp"
#include "native/daemon/audit/audit_sink.hpp"

namespace sshrelay::daemon::audit {


class AuditLog {
 public:
  explicit AuditLog(AuditConfig config);
  ~AuditLog();  // stops (at once) if still running
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Adds a sink besides the configured ones (tests, or another destination). Before start() only.
  void add_sink(std::shared_ptr<AuditSink> sink);
  // Validates the config, creates the configured sinks (opens the JSONL file, loads CA files) and starts
  // every sink's worker. On error nothing runs.
  Status start();

  // Thread-safe, never blocks on I/O. time_ms 0 is replaced by now. After stop() events count as lost.
  void emit(AuditEvent event);

  std::vector<SinkStats> stats() const;
  std::map<std::string, std::uint64_t> lost_counts() const;
  // Checks the lost counters now (it also runs every lost_report_interval).
  void report_lost();

  // Stops taking events, lets every sink deliver until `deadline` (in parallel), then stops. What is still
  // undelivered counts as lost and is logged. Returns by about the deadline.
  void stop(Clock::time_point deadline);

  static std::int64_t now_ms();

 private:
  void report(bool to_sinks);
  void arm_report_timer();

  AuditConfig config_;
  boost::asio::io_context ioc_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  boost::asio::steady_timer report_timer_;
  std::vector<std::shared_ptr<AuditSink>> sinks_;
  std::mutex report_mutex_;
  std::map<std::string, std::uint64_t> reported_;  // lost totals at the last report
  std::atomic<bool> running_{false};
  std::atomic<bool> stopped_{false};
  std::mutex io_done_mutex_;
  std::condition_variable io_done_cv_;
  bool io_done_ = false;
};

}  // namespace sshrelay::daemon::audit
