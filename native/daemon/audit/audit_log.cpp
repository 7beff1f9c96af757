#include "native/daemon/audit/audit_log.hpp"
#include "core/common/hex.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>

#include <openssl/rand.h>

#include "native/daemon/audit/jsonl_file_sink.hpp"
#include "native/daemon/audit/pan_userid_sink.hpp"
#include "native/daemon/audit/splunk_hec_sink.hpp"
#include "native/daemon/audit/stderr_sink.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::daemon::audit {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;

Error bad(const std::string& flag, const std::string& message) { return local_error(flag + ": " + message); }

// Printable ASCII without spaces: safe in an HTTP header. The secret itself is never echoed.
bool header_safe(const std::string& secret) {
  return !secret.empty() && std::all_of(secret.begin(), secret.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool readable(const std::string& path) { return std::ifstream(path).good(); }

std::optional<Error> check_https_destination(const std::string& url_flag, const std::string& url,
                                             std::string_view default_path, const std::string& secret_flag,
                                             const std::string& secret, const std::string& ca_flag,
                                             const std::string& ca_file) {
  if (url.empty()) {
    if (!secret.empty()) return bad(url_flag, "is required with " + secret_flag);
    if (!ca_file.empty()) return bad(ca_flag, "is set but " + url_flag + " is not");
    return std::nullopt;
  }
  if (auto parsed = parse_https_url(url, {.default_path = default_path}); !parsed) return bad(url_flag, parsed.error().message);
  if (secret.empty()) {
    return bad(secret_flag, "is required with " + url_flag + " (a file, or the secret itself in the environment)");
  }
  if (!header_safe(secret)) return bad(secret_flag, "the secret holds spaces, control or non-ASCII characters");
  if (!ca_file.empty() && !readable(ca_file)) return bad(ca_flag, "cannot read \"" + ca_file + "\"");
  return std::nullopt;
}

bool in_range(milliseconds value, milliseconds low, milliseconds high) { return value >= low && value <= high; }

// 128 random bits as 32 lower-case hex digits (the Python relay's uuid4().hex has the same shape).
std::string random_event_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return {};
  return lower_hex(bytes);
}

}  // namespace

Status AuditConfig::validate() const {
  if (queue_capacity < 1 || queue_capacity > 10'000'000) return bad("--audit-queue", "must be 1..10000000 events");
  if (!jsonl_path.empty()) {
    if (jsonl_max_bytes != 0 && jsonl_max_bytes < 4096) {
      return bad("--audit-jsonl-max-bytes", "must be 0 (never rotate) or at least 4096");
    }
    if (jsonl_keep > 1000) return bad("--audit-jsonl-keep", "must be 0..1000");
    const auto parent = std::filesystem::path(jsonl_path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      return bad("--audit-jsonl", "directory \"" + parent.string() + "\" does not exist");
    }
    if (std::filesystem::is_directory(jsonl_path, ec)) return bad("--audit-jsonl", "\"" + jsonl_path + "\" is a directory");
  }
  if (auto e = check_https_destination("--audit-hec-url", hec_url, kHecDefaultPath, "--audit-hec-token-file", hec_token,
                                       "--audit-hec-ca-file", hec_ca_file)) {
    return *e;
  }
  if (!hec_url.empty()) {
    if (hec_batch_max < 1 || hec_batch_max > 10000) return bad("--audit-hec-batch", "must be 1..10000 events");
    if (hec_batch_max_bytes < 1024) return bad("--audit-hec-batch-bytes", "must be at least 1024");
    if (!in_range(hec_flush_interval, milliseconds(1), milliseconds(60000))) {
      return bad("--audit-hec-flush-ms", "must be 1..60000");
    }
  }
  for (const auto& pan_url : pan_urls) {
    if (auto e = check_https_destination("--audit-pan-url", pan_url, kPanDefaultPath, "--audit-pan-key-file",
                                         pan_api_key, "--audit-pan-ca-file", pan_ca_file)) {
      return *e;
    }
  }
  if (pan_urls.empty()) {
    if (auto e = check_https_destination("--audit-pan-url", "", kPanDefaultPath, "--audit-pan-key-file", pan_api_key,
                                         "--audit-pan-ca-file", pan_ca_file)) {
      return *e;
    }
  }
  if (!pan_urls.empty()) {
    if (pan_port_first == 0 || pan_port_last < pan_port_first) {
      return bad("--source-port-range",
                 "PAN User-ID maps users by source port: it needs the relay's pinned source-port range (FIRST-LAST)");
    }
    if (pan_block_size < 1 || pan_block_size > pan_port_last - pan_port_first + 1) {
      return bad("--audit-pan-block-size", "must be 1..the size of the source-port range");
    }
    if (pan_user_domain.size() > 64 || std::any_of(pan_user_domain.begin(), pan_user_domain.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == '\\' || c == 0x7f;
        })) {
      return bad("--audit-pan-user-domain", "\"" + pan_user_domain + "\" is not a domain name (no '\\', at most 64)");
    }
    if (pan_vsys.size() > 31 || !std::all_of(pan_vsys.begin(), pan_vsys.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        })) {
      return bad("--audit-pan-vsys", "\"" + pan_vsys + "\" is not a vsys name (e.g. vsys1)");
    }
    if (pan_batch_max < 1 || pan_batch_max > 10000) return bad("--audit-pan-batch", "must be 1..10000 events");
    if (!in_range(pan_flush_interval, milliseconds(1), milliseconds(60000))) {
      return bad("--audit-pan-flush-ms", "must be 1..60000");
    }
  }
  if (!in_range(request_timeout, milliseconds(1), milliseconds(300000))) {
    return bad("--audit-timeout-ms", "must be 1..300000");
  }
  if (retry_initial < milliseconds(1) || retry_max < retry_initial) {
    return bad("--audit-retry-ms", "the first retry must wait at least 1 ms and no longer than the longest");
  }
  if (lost_report_interval < milliseconds(10)) return bad("--audit-lost-report-ms", "must be at least 10");
  return Ok{};
}

AuditLog::AuditLog(AuditConfig config) : config_(std::move(config)), report_timer_(ioc_) {}

AuditLog::~AuditLog() {
  if (running_) stop(Clock::now());
}

void AuditLog::add_sink(std::shared_ptr<AuditSink> sink) { sinks_.push_back(std::move(sink)); }

Status AuditLog::start() {
  if (running_ || stopped_) return local_error("the audit log was already started");
  if (auto valid = config_.validate(); !valid) return valid;
  const std::size_t capacity = config_.queue_capacity;
  std::vector<std::shared_ptr<AuditSink>> sinks;
  if (config_.to_stderr) sinks.push_back(std::make_shared<StderrSink>(capacity));
  if (!config_.jsonl_path.empty()) {
    auto sink = std::make_shared<JsonlFileSink>(
        JsonlFileOptions{config_.jsonl_path, config_.jsonl_max_bytes, config_.jsonl_keep, config_.jsonl_fsync}, capacity);
    if (auto opened = sink->open(); !opened) return bad("--audit-jsonl", opened.error().message);
    sinks.push_back(std::move(sink));
  }
  if (!config_.hec_url.empty()) {
    auto tls = make_tls_client_context(config_.hec_ca_file, config_.hec_verify);
    if (!tls) return bad("--audit-hec-ca-file", tls.error().message);
    if (!config_.hec_verify) log(LogLevel::warn, "audit: --audit-hec-verify=false: the HEC's certificate is not checked");
    auto strand = net::make_strand(ioc_);
    auto client = std::make_shared<HttpsClient>(strand, *tls, *parse_https_url(config_.hec_url, {.default_path = kHecDefaultPath}),
                                                config_.request_timeout);
    const BatchOptions options{config_.hec_batch_max, config_.hec_batch_max_bytes, config_.hec_flush_interval,
                               config_.retry_initial, config_.retry_max};
    sinks.push_back(std::make_shared<SplunkHecSink>(
        capacity, strand, options, client, config_.hec_token,
        HecEnvelope{config_.hec_source, config_.hec_sourcetype, config_.hec_index}));
  }
  for (std::size_t i = 0; i < config_.pan_urls.size(); ++i) {
    auto tls = make_tls_client_context(config_.pan_ca_file, config_.pan_verify);
    if (!tls) return bad("--audit-pan-ca-file", tls.error().message);
    if (!config_.pan_verify) log(LogLevel::warn, "audit: --audit-pan-verify=false: the firewall's certificate is not checked");
    auto strand = net::make_strand(ioc_);
    auto client = std::make_shared<HttpsClient>(strand, *tls, *parse_https_url(config_.pan_urls[i], {.default_path = kPanDefaultPath}),
                                                config_.request_timeout);
    const BatchOptions options{config_.pan_batch_max, 1 << 20, config_.pan_flush_interval, config_.retry_initial,
                               config_.retry_max};
    PanOptions pan{config_.pan_api_key,    config_.pan_user_domain, config_.pan_vsys,     config_.pan_key_in_body,
                   config_.pan_port_first, config_.pan_port_last,   config_.pan_block_size, config_.pan_relay_ip,
                   config_.pan_login_timeout_minutes};
    // Each firewall gets its own queue and retries: one that is down delays only itself.
    const std::string name = i == 0 ? "pan_userid" : "pan_userid_" + std::to_string(i + 1);
    sinks.push_back(std::make_shared<PanUserIdSink>(capacity, strand, options, client, std::move(pan), name));
  }
  sinks_.insert(sinks_.begin(), sinks.begin(), sinks.end());
  for (const auto& sink : sinks_) reported_[sink->name()] = sink->lost();
  for (const auto& sink : sinks_) sink->start();
  work_.emplace(ioc_.get_executor());
  io_thread_ = std::thread([this] {
    ioc_.run();
    std::lock_guard lock(io_done_mutex_);
    io_done_ = true;
    io_done_cv_.notify_all();
  });
  running_ = true;
  net::post(ioc_, [this] { arm_report_timer(); });
  return Ok{};
}

void AuditLog::arm_report_timer() {
  if (!running_) return;
  report_timer_.expires_after(config_.lost_report_interval);
  report_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    report(true);
    arm_report_timer();
  });
}

std::int64_t AuditLog::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AuditLog::emit(AuditEvent event) {
  if (sinks_.empty()) return;
  if (event.time_ms == 0) event.time_ms = now_ms();
  if (event.event_id.empty()) event.event_id = random_event_id();
  const auto record = make_record(std::move(event), config_.format);
  for (const auto& sink : sinks_) sink->submit(record);
}

std::vector<SinkStats> AuditLog::stats() const {
  std::vector<SinkStats> out;
  for (const auto& sink : sinks_) out.push_back(sink->stats());
  return out;
}

std::map<std::string, std::uint64_t> AuditLog::lost_counts() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& sink : sinks_) out[sink->name()] = sink->lost();
  return out;
}

void AuditLog::report_lost() { report(running_); }

void AuditLog::report(bool to_sinks) {
  std::lock_guard lock(report_mutex_);
  AuditEvent event;
  event.type = AuditEventType::audit_lost;
  event.time_ms = now_ms();
  std::string summary;
  bool any = false;
  for (const auto& sink : sinks_) {
    const std::uint64_t total = sink->lost();
    auto& last = reported_[sink->name()];
    const std::uint64_t since = total - last;
    last = total;
    event.lost.push_back({sink->name(), total, since});
    if (since == 0) continue;
    any = true;
    summary += (summary.empty() ? "" : ", ") + sink->name() + " +" + std::to_string(since) + " (" +
               std::to_string(total) + " in all)";
  }
  if (!any) return;
  log(LogLevel::warn, "audit events lost: " + summary);
  if (!to_sinks) return;
  event.event_id = random_event_id();
  const auto record = make_record(std::move(event), config_.format);
  // A sink that dropped events in a burst but still delivers is where the report belongs; one that cannot
  // deliver (unhealthy) would only queue it to lose it.
  for (const auto& sink : sinks_) {
    if (sink->healthy()) sink->submit(record);
  }
}

void AuditLog::stop(Clock::time_point deadline) {
  if (!running_.exchange(false)) return;
  stopped_ = true;
  net::post(ioc_, [this] { report_timer_.cancel(); });
  for (const auto& sink : sinks_) sink->request_stop(deadline);
  for (const auto& sink : sinks_) sink->join();
  report(false);  // what shutdown itself lost goes to the operational log
  work_.reset();
  {
    // Every sink has finished and cancelled its operations: the I/O thread runs out of work by itself.
    std::unique_lock lock(io_done_mutex_);
    if (!io_done_cv_.wait_for(lock, std::chrono::seconds(2), [this] { return io_done_; })) ioc_.stop();
  }
  if (io_thread_.joinable()) io_thread_.join();
}

}  // namespace sshrelay::daemon::audit
