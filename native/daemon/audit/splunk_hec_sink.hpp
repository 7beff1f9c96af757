#pragma once
// Splunk HTTP Event Collector: POST https://HOST:PORT/services/collector/event with
// "Authorization: Splunk <token>" and a body of concatenated event objects, one per line:
//   {"time":1714566896.789,"source":"sshrelayd","sourcetype":"sshrelay:audit"[,"index":"..."],"event":{...}}
// HTTP 200 delivers the batch; 408, 429 and 5xx (HEC answers 503 when busy) and network errors are
// retried; any other status (400 malformed, 401/403 bad token) drops the batch as lost.
#include "native/daemon/audit/async_batch_sink.hpp"

namespace sshrelay::daemon::audit {

inline constexpr std::string_view kHecDefaultPath = "/services/collector/event";

// The metadata around each event: --audit-hec-source, --audit-hec-sourcetype and --audit-hec-index (left
// out when empty: the token's default index).
struct HecEnvelope {
  std::string source = "sshrelayd";
  std::string sourcetype = "sshrelay:audit";
  std::string index;
};

// The request body for a batch (exposed for tests).
std::string hec_body(const std::vector<RecordPtr>& batch, const HecEnvelope& envelope = {});

class SplunkHecSink final : public AsyncBatchSink {
 public:
  SplunkHecSink(std::size_t capacity, net::any_io_executor strand, BatchOptions options,
                std::shared_ptr<HttpsClient> client, std::string token, HecEnvelope envelope = {});

 private:
  http::request<http::string_body> make_request(const std::vector<RecordPtr>& batch) override;
  Verdict judge(const HttpResult& result, std::string& why) override;

  std::string authorization_;  // "Splunk <token>": never logged
  HecEnvelope envelope_;
};

}  // namespace sshrelay::daemon::audit
