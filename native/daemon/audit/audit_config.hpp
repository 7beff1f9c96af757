#pragma once
// The audit settings (--audit-*), apart from AuditLog so that the daemon's configuration can hold them
// without pulling in Asio. validate() is defined with AuditLog.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/audit/audit_event.hpp"
#include "core/common/result.hpp"

namespace sshrelay::daemon::audit {

struct AuditConfig {
  AuditFormat format = AuditFormat::sshrelay;    // --audit-format sshrelay|ssh-relay (field names and vocabulary)
  bool to_stderr = false;                        // --audit-stderr (on by default when no other sink is set)
  std::string jsonl_path;                        // --audit-jsonl PATH
  std::uint64_t jsonl_max_bytes = 100ull << 20;  // --audit-jsonl-max-bytes (0: never rotate)
  unsigned jsonl_keep = 5;                       // --audit-jsonl-keep
  bool jsonl_fsync = true;                       // --audit-jsonl-fsync
  std::string hec_url;                           // --audit-hec-url https://splunk:8088[/services/collector/event]
  std::string hec_token;                         // --audit-hec-token, or read from --audit-hec-token-file
  std::string hec_ca_file;                       // --audit-hec-ca-file (else the system store)
  bool hec_verify = true;                        // --audit-hec-verify: false accepts any certificate
  std::string hec_index;                         // --audit-hec-index: empty = the token's default index
  std::string hec_source = "sshrelayd";          // --audit-hec-source
  std::string hec_sourcetype = "sshrelay:audit"; // --audit-hec-sourcetype
  std::size_t hec_batch_max = 100;               // --audit-hec-batch
  std::size_t hec_batch_max_bytes = 1 << 20;
  std::chrono::milliseconds hec_flush_interval{1000};  // --audit-hec-flush-ms
  std::vector<std::string> pan_urls;             // --audit-pan-url https://firewall[/api/], one sink per firewall
  std::string pan_api_key;                       // --audit-pan-key, or read from --audit-pan-key-file
  std::string pan_ca_file;                       // --audit-pan-ca-file
  bool pan_verify = true;                        // --audit-pan-verify: false accepts any certificate
  unsigned pan_login_timeout_minutes = 0;        // --audit-pan-login-timeout-seconds, rounded up: <login timeout=>
  std::string pan_relay_ip;                      // --audit-pan-relay-ip: the relay address the firewall sees
                                                 //   (default: each session's outbound local address)
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

  bool any_sink() const { return to_stderr || !jsonl_path.empty() || !hec_url.empty() || !pan_urls.empty(); }
  // Names the first bad setting by its flag, e.g. `--audit-hec-url: "http://x" is not an https:// URL`.
  // Checks that CA files are readable; never prints a token or key.
  Status validate() const;
};

}  // namespace sshrelay::daemon::audit
