#include "native/daemon/audit/splunk_hec_sink.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace sshrelay::daemon::audit {
namespace {

// Seconds since the epoch with milliseconds, as HEC's "time" wants it.
std::string hec_time(std::int64_t unix_ms) {
  const bool negative = unix_ms < 0;
  const std::uint64_t magnitude = negative ? static_cast<std::uint64_t>(-(unix_ms + 1)) + 1 : static_cast<std::uint64_t>(unix_ms);
  char text[32];
  std::snprintf(text, sizeof text, "%s%llu.%03u", negative ? "-" : "", static_cast<unsigned long long>(magnitude / 1000),
                static_cast<unsigned>(magnitude % 1000));
  return text;
}

// A short, single-line excerpt of a response body for the log.
std::string excerpt(const std::string& body) {
  std::string out = body.substr(0, 200);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string hec_body(const std::vector<RecordPtr>& batch, const HecEnvelope& envelope) {
  // The metadata is the same for every event: serialized once (JSON-escaped by the library).
  std::string metadata = R"(,"source":)" + nlohmann::json(envelope.source).dump() + R"(,"sourcetype":)" +
                         nlohmann::json(envelope.sourcetype).dump();
  if (!envelope.index.empty()) metadata += R"(,"index":)" + nlohmann::json(envelope.index).dump();
  metadata += R"(,"event":)";
  std::string body;
  for (const auto& record : batch) {
    if (!body.empty()) body += '\n';
    body += R"({"time":)";
    body += hec_time(record->event.time_ms);
    body += metadata;
    body += record->json();
    body += '}';
  }
  return body;
}

SplunkHecSink::SplunkHecSink(std::size_t capacity, net::any_io_executor strand, BatchOptions options,
                             std::shared_ptr<HttpsClient> client, std::string token, HecEnvelope envelope)
    : AsyncBatchSink("splunk_hec", capacity, std::move(strand), options, std::move(client)),
      authorization_("Splunk " + token),
      envelope_(std::move(envelope)) {}

http::request<http::string_body> SplunkHecSink::make_request(const std::vector<RecordPtr>& batch) {
  http::request<http::string_body> request{http::verb::post, url().target, 11};
  request.set(http::field::authorization, authorization_);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "sshrelayd/" SSHRELAY_VERSION);
  request.body() = hec_body(batch, envelope_);
  return request;
}

AsyncBatchSink::Verdict SplunkHecSink::judge(const HttpResult& result, std::string& why) {
  if (result.ec) {
    why = result.where + ": " + result.ec.message();
    return Verdict::retry;
  }
  if (result.status == 200) return Verdict::done;
  why = "HEC answered HTTP " + std::to_string(result.status) + ": " + excerpt(result.body);
  if (result.status == 408 || result.status == 429 || result.status >= 500) return Verdict::retry;
  return Verdict::reject;
}

}  // namespace sshrelay::daemon::audit
