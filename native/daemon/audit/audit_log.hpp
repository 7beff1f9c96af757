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

#include "core/audit_event.hpp"
#include "core/result.hpp"
#include "native/daemon/audit/audit_sink.hpp"

namespace sshrelay::daemon::audit {

struct AuditConfig {
  bool to_stderr = false;                        // --audit-stderr
  std::string jsonl_path;                        // --audit-jsonl PATH
  std::uint64_t jsonl_max_bytes = 100ull << 20;  // --audit-jsonl-max-bytes (0: never rotate)
  unsigned jsonl_keep = 5;                       // --audit-jsonl-keep
  bool jsonl_fsync = true;                       // --audit-jsonl-fsync
  std::string hec_url;                           // --audit-hec-url https://splunk:8088[/services/collector/event]
  std::string hec_token;                         // read from --audit-hec-token-file
  std::string hec_ca_file;                       // --audit-hec-ca-file (else the system store)
  std::size_t hec_batch_max = 100;               // --audit-hec-batch
  std::size_t hec_batch_max_bytes = 1 << 20;
  std::chrono::milliseconds hec_flush_interval{1000};  // --audit-hec-flush-ms
  std::string pan_url;                           // --audit-pan-url https://firewall[/api/]
  std::string pan_api_key;                       // read from --audit-pan-key-file
  std::string pan_ca_file;                       // --audit-pan-ca-file
  std::string pan_user_domain;                   // --audit-pan-user-domain
  std::string pan_vsys;                          // --audit-pan-vsys
  bool pan_key_in_body = false;                  // --audit-pan-key-in-body (PAN-OS without X-PAN-KEY)
  std::uint16_t pan_port_first = 0;              // the dialer's --source-port-range range: required with PAN
  std::uint16_t pan_port_last = 0;
  std::uint16_t pan_block_size = 1;              // --audit-pan-block-size
  std::size_t pan_batch_max = 500;
  std::chrono::milliseconds pan_flush_interval{200};
  std::size_t queue_capacity = 10000;            // --audit-queue: events per sink
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30000};
  std::chrono::milliseconds lost_report_interval{10000};

  bool any_sink() const { return to_stderr || !jsonl_path.empty() || !hec_url.empty() || !pan_url.empty(); }
  // Names the first bad setting by its flag, e.g. `--audit-hec-url: "http://x" is not an https:// URL`.
  // Checks that CA files are readable; never prints a token or key.
  Status validate() const;
};

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
