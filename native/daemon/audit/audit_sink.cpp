#include "native/daemon/audit/audit_sink.hpp"

#include "native/daemon/log.hpp"

namespace sshrelay::daemon::audit {

namespace {

std::size_t estimate_json_size(const AuditEvent& e) {
  std::size_t n = 200;  // keys, punctuation, timestamp, numbers
  for (const std::string* s : {&e.principal, &e.source_ip, &e.target, &e.target_user, &e.resolved_ip, &e.relay_ip,
                               &e.sid, &e.close_reason, &e.reason, &e.path, &e.user_agent, &e.identity_subject,
                               &e.identity_email, &e.error, &e.client_banner, &e.target_banner}) {
    n += s->empty() ? 0 : s->size() + 24;
  }
  return n + e.lost.size() * 48;
}

}  // namespace

AuditRecord::AuditRecord(AuditEvent e, AuditFormat f)
    : event(std::move(e)), format(f), approx_size_(estimate_json_size(event)) {}

const std::string& AuditRecord::json() const {
  std::call_once(once_, [this] { json_ = to_json_line(event, format); });
  return json_;
}

RecordPtr make_record(AuditEvent event, AuditFormat format) {
  return std::make_shared<const AuditRecord>(std::move(event), format);
}

AuditSink::AuditSink(std::string name, std::size_t capacity) : name_(std::move(name)), capacity_(capacity) {}

bool AuditSink::submit(RecordPtr record) {
  if (!accepts(*record)) return true;
  std::size_t queued_now = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || queue_.size() >= capacity_) {
      ++lost_;
      return false;
    }
    queue_.push_back(std::move(record));
    queued_now = queue_.size();
  }
  cv_.notify_one();
  on_queued(queued_now);
  return true;
}

std::size_t AuditSink::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

SinkStats AuditSink::stats() const { return {name_, delivered(), lost(), queued(), healthy()}; }

std::vector<RecordPtr> AuditSink::take(std::size_t max_count, std::size_t max_bytes) {
  std::vector<RecordPtr> out;
  std::size_t bytes = 0;
  std::lock_guard lock(mutex_);
  while (!queue_.empty() && out.size() < max_count) {
    const std::size_t size = queue_.front()->approx_size();
    if (!out.empty() && bytes + size > max_bytes) break;
    bytes += size;
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

std::size_t AuditSink::close_queue() {
  std::size_t n = 0;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    n = queue_.size();
  }
  cv_.notify_all();
  return n;
}

bool AuditSink::queue_closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::size_t AuditSink::drop_queued() {
  std::size_t n = 0;
  {
    std::lock_guard lock(mutex_);
    n = queue_.size();
    queue_.clear();
  }
  lost_ += n;
  return n;
}

void AuditSink::wait_for_records(Clock::time_point until) {
  std::unique_lock lock(mutex_);
  auto ready = [&] { return !queue_.empty() || closed_; };
  if (until == Clock::time_point::max()) {
    cv_.wait(lock, ready);
  } else {
    cv_.wait_until(lock, until, ready);
  }
}

void AuditSink::set_healthy(bool healthy, const std::string& why) {
  if (healthy) {
    const auto failures = failures_.exchange(0);
    if (!healthy_.exchange(true)) {
      log(LogLevel::info, "audit sink " + name_ + " recovered after " + std::to_string(failures) + " failed attempt" +
                              (failures == 1 ? "" : "s"));
    }
    return;
  }
  ++failures_;
  if (healthy_.exchange(false)) {
    log(LogLevel::warn, "audit sink " + name_ + " failing: " + why + " (events wait in its queue of " +
                            std::to_string(capacity_) + "; beyond that they are dropped and counted)");
  } else {
    log(LogLevel::debug, "audit sink " + name_ + " still failing: " + why);
  }
}

ThreadedSink::~ThreadedSink() { stop_now(); }

void ThreadedSink::stop_now() {
  if (!thread_.joinable()) return;
  request_stop(Clock::now());
  join();
}

void ThreadedSink::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void ThreadedSink::request_stop(Clock::time_point deadline) {
  {
    std::lock_guard lock(stop_mutex_);
    deadline_ = deadline;
  }
  stop_requested_ = true;
  close_queue();
}

void ThreadedSink::join() {
  if (thread_.joinable()) thread_.join();
  drop_queued();  // nothing, unless the sink was never started
}

void ThreadedSink::run() {
  while (true) {
    wait_for_records(Clock::time_point::max());
    auto batch = take(kBatch);
    if (batch.empty()) {
      if (queue_closed()) break;
      continue;
    }
    if (stop_requested_) {
      Clock::time_point deadline;
      {
        std::lock_guard lock(stop_mutex_);
        deadline = deadline_;
      }
      if (Clock::now() >= deadline) {
        count_lost(batch.size());
        drop_queued();
        break;
      }
    }
    if (write_batch(batch)) {
      count_delivered(batch.size());
    } else {
      count_lost(batch.size());
    }
  }
  finish();
}

}  // namespace sshrelay::daemon::audit
