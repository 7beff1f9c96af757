#pragma once
// A sink that delivers batches over HTTPS on a strand of the audit I/O context (Splunk HEC, PAN-OS
// User-ID). Events wait in the bounded queue; a batch leaves when it reaches batch_max events (or
// batch_max_bytes of JSON), or flush_interval after its first event. A failed request is retried with
// exponential backoff (retry_initial, doubling up to retry_max) for as long as the sink runs, holding the
// batch; meanwhile new events fill the queue and, once it is full, are dropped and counted. A request the
// destination rejects for good (bad token, malformed body) drops its batch, counted as lost.
// Delivery is at least once: a response lost after the destination took a batch means the batch is sent
// again.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "native/daemon/audit/audit_sink.hpp"
#include "native/daemon/audit/https_client.hpp"

namespace sshrelay::daemon::audit {

struct BatchOptions {
  std::size_t batch_max = 100;
  std::size_t batch_max_bytes = 1 << 20;
  std::chrono::milliseconds flush_interval{1000};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30000};
};

class AsyncBatchSink : public AuditSink, public std::enable_shared_from_this<AsyncBatchSink> {
 public:
  AsyncBatchSink(std::string name, std::size_t capacity, net::any_io_executor strand, BatchOptions options,
                 std::shared_ptr<HttpsClient> client);

  void start() override {}
  void request_stop(Clock::time_point deadline) override;
  // Waits for the sink to finish; it does by the deadline given to request_stop (plus a moment).
  void join() override;

 protected:
  enum class Verdict {
    done,    // the batch is delivered
    more,    // this request worked; send make_request(batch) again (a batch may need several requests)
    retry,   // try again after the backoff
    reject,  // the destination refuses it for good: drop the batch, count it lost
  };
  // The next request for this batch. Runs on the strand.
  virtual http::request<http::string_body> make_request(const std::vector<RecordPtr>& batch) = 0;
  virtual Verdict judge(const HttpResult& result, std::string& why) = 0;
  // The next batch; the default takes up to batch_max events / batch_max_bytes from the queue.
  virtual std::vector<RecordPtr> take_batch();
  // Records a derived sink took from the queue but holds for a later batch.
  virtual std::size_t held() const { return 0; }
  virtual void drop_held() {}

  void on_queued(std::size_t queued_now) override;
  const BatchOptions& options() const { return options_; }
  const HttpsUrl& url() const { return client_->url(); }

 private:
  void pump();
  void arm_flush();
  void send();
  void on_result(HttpResult result);
  void give_up();
  void finish();

  net::any_io_executor strand_;
  BatchOptions options_;
  std::shared_ptr<HttpsClient> client_;
  net::steady_timer flush_timer_;
  net::steady_timer retry_timer_;
  net::steady_timer deadline_timer_;
  std::atomic<bool> wake_posted_{false};
  std::atomic<Clock::rep> join_deadline_{Clock::time_point::max().time_since_epoch().count()};
  std::promise<void> finished_promise_;
  std::shared_future<void> finished_;

  // Strand-only state.
  std::vector<RecordPtr> batch_;
  std::chrono::milliseconds backoff_;
  bool in_flight_ = false;
  bool flush_armed_ = false;
  bool flush_due_ = false;
  bool retry_armed_ = false;
  bool stopping_ = false;
  bool finished_flag_ = false;
};

}  // namespace sshrelay::daemon::audit
