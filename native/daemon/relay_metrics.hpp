#pragma once
// What GET /metrics answers (Prometheus text format; docs/operations.md lists every family): the
// counters core keeps from the audit events (core/metrics/audit_counters.hpp), fed by
// RelayContext::audit, and gauges read at scrape time from the session registry, the replay budget, the
// audit sinks, the JWKS cache and the rendezvous hub. Thread-safe.
#include <cstdint>
#include <mutex>
#include <string>

#include "core/audit/audit_event.hpp"
#include "core/metrics/audit_counters.hpp"

namespace sshrelay::daemon {

struct RelayContext;

class RelayMetrics {
 public:
  explicit RelayMetrics(std::int64_t start_unix_seconds) : start_unix_seconds_(start_unix_seconds) {}

  void count(const AuditEvent& event);
  std::string render(const RelayContext& ctx) const;

 private:
  const std::int64_t start_unix_seconds_;
  mutable std::mutex mutex_;
  metrics::AuditCounters counters_;
};

}  // namespace sshrelay::daemon
