#include "native/daemon/audit/async_batch_sink.hpp"

#include <boost/asio/post.hpp>

#include "native/daemon/log.hpp"

namespace sshrelay::daemon::audit {

AsyncBatchSink::AsyncBatchSink(std::string name, std::size_t capacity, net::any_io_executor strand,
                               BatchOptions options, std::shared_ptr<HttpsClient> client)
    : AuditSink(std::move(name), capacity),
      strand_(std::move(strand)),
      options_(options),
      client_(std::move(client)),
      flush_timer_(strand_),
      retry_timer_(strand_),
      deadline_timer_(strand_),
      finished_(finished_promise_.get_future().share()),
      backoff_(options.retry_initial) {}

void AsyncBatchSink::on_queued(std::size_t queued_now) {
  // The first event arms the flush timer; a full batch goes at once. Others just wait.
  if (queued_now != 1 && queued_now < options_.batch_max) return;
  if (wake_posted_.exchange(true)) return;
  net::post(strand_, [self = shared_from_this()] {
    self->wake_posted_ = false;
    self->pump();
  });
}

std::vector<RecordPtr> AsyncBatchSink::take_batch() { return take(options_.batch_max, options_.batch_max_bytes); }

void AsyncBatchSink::pump() {
  if (finished_flag_ || in_flight_ || retry_armed_) return;
  if (batch_.empty()) {
    const std::size_t available = queued() + held();
    if (available == 0) {
      if (stopping_) finish();
      return;
    }
    if (!stopping_ && !flush_due_ && available < options_.batch_max) return arm_flush();
    flush_due_ = false;
    flush_armed_ = false;
    flush_timer_.cancel();
    batch_ = take_batch();
    if (batch_.empty()) return;
  }
  send();
}

void AsyncBatchSink::arm_flush() {
  if (flush_armed_) return;
  flush_armed_ = true;
  flush_timer_.expires_after(options_.flush_interval);
  flush_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // cancelled: whoever cancelled it took over
    self->flush_armed_ = false;
    self->flush_due_ = true;
    self->pump();
  });
}

void AsyncBatchSink::send() {
  in_flight_ = true;
  client_->post(make_request(batch_), [self = shared_from_this()](HttpResult result) {
    self->on_result(std::move(result));
  });
}

void AsyncBatchSink::on_result(HttpResult result) {
  in_flight_ = false;
  if (finished_flag_) return;  // cut at the deadline: already counted
  std::string why;
  switch (judge(result, why)) {
    case Verdict::done:
      count_delivered(batch_.size());
      batch_.clear();
      backoff_ = options_.retry_initial;
      set_healthy(true);
      return pump();
    case Verdict::more:
      return send();
    case Verdict::reject:
      log(LogLevel::error, "audit sink " + name() + ": " + why + "; " + std::to_string(batch_.size()) +
                               " event(s) dropped");
      count_lost(batch_.size());
      batch_.clear();
      set_healthy(false, why);
      return pump();
    case Verdict::retry:
      set_healthy(false, why);
      retry_armed_ = true;
      retry_timer_.expires_after(backoff_);
      backoff_ = std::min(backoff_ * 2, options_.retry_max);
      retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec) return;
        self->retry_armed_ = false;
        self->send();
      });
      return;
  }
}

void AsyncBatchSink::request_stop(Clock::time_point deadline) {
  join_deadline_ = deadline.time_since_epoch().count();
  close_queue();
  net::post(strand_, [self = shared_from_this(), deadline] {
    if (self->stopping_) return;
    self->stopping_ = true;
    self->flush_armed_ = false;
    self->flush_timer_.cancel();
    if (self->retry_armed_) {  // one more try now rather than after the backoff
      self->retry_armed_ = false;
      self->retry_timer_.cancel();
    }
    self->deadline_timer_.expires_at(deadline);
    self->deadline_timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->give_up();
    });
    self->pump();
  });
}

void AsyncBatchSink::join() {
  // finish() runs by the deadline; the margin covers a busy I/O thread.
  const Clock::time_point deadline{Clock::duration(join_deadline_.load())};
  const auto limit = deadline == Clock::time_point::max() ? Clock::now() + std::chrono::seconds(30)
                                                          : deadline + std::chrono::seconds(5);
  if (finished_.wait_until(limit) != std::future_status::ready) {
    log(LogLevel::error, "audit sink " + name() + " did not stop in time");
  }
}

void AsyncBatchSink::give_up() {
  if (finished_flag_) return;
  const std::size_t left = batch_.size() + held();
  count_lost(left);
  batch_.clear();
  drop_held();
  const std::size_t queued_left = drop_queued();
  if (left + queued_left > 0) {
    log(LogLevel::warn, "audit sink " + name() + ": " + std::to_string(left + queued_left) +
                            " event(s) undelivered at shutdown");
  }
  finish();
}

void AsyncBatchSink::finish() {
  if (finished_flag_) return;
  finished_flag_ = true;
  flush_timer_.cancel();
  retry_timer_.cancel();
  deadline_timer_.cancel();
  client_->cancel();
  finished_promise_.set_value();
}

}  // namespace sshrelay::daemon::audit
