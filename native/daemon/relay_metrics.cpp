#include "native/daemon/relay_metrics.hpp"

#include <map>

#include "native/daemon/audit/audit_log.hpp"
#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/rendezvous/rendezvous_hub.hpp"

namespace sshrelay::daemon {
namespace {

using metrics::MetricType;
using metrics::Sample;

#ifdef SSHRELAY_VERSION
constexpr const char* kVersion = SSHRELAY_VERSION;
#else
constexpr const char* kVersion = "unknown";
#endif

void write_sessions(metrics::ExpositionWriter& out, const RelayContext& ctx) {
  std::map<std::pair<std::string, std::string>, std::size_t> by_state;
  for (const auto& session : ctx.registry.all()) {
    ++by_state[{std::string(session->kind()), session->attached() ? "attached" : "detached"}];
  }
  std::vector<Sample> samples;
  for (const auto& [key, count] : by_state) {
    samples.push_back({{{"endpoint", key.first}, {"state", key.second}}, static_cast<double>(count)});
  }
  out.family("sshrelay_sessions", MetricType::gauge,
             "Sessions the relay holds: attached to a WebSocket, or detached and waiting to be resumed.", samples);
}

void write_rendezvous(metrics::ExpositionWriter& out, const RelayContext& ctx) {
  std::map<std::string, std::size_t> by_state = {{"pending", 0}, {"half_open", 0}, {"open", 0}};
  if (ctx.rendezvous) {
    for (const auto& status : ctx.rendezvous->list()) ++by_state[rendezvous::state_name(status.state)];
  }
  std::vector<Sample> samples;
  for (const auto& [state, count] : by_state) samples.push_back({{{"state", state}}, static_cast<double>(count)});
  out.family("sshrelay_rendezvous_sessions", MetricType::gauge,
             "Rendezvous sessions by state: no leg (pending), one leg (half_open), both legs (open).", samples);
}

void write_audit_sinks(metrics::ExpositionWriter& out, const RelayContext& ctx) {
  std::vector<Sample> lost, delivered, queued;
  if (ctx.audit_log) {
    for (const auto& sink : ctx.audit_log->stats()) {
      lost.push_back({{{"sink", sink.name}}, static_cast<double>(sink.lost)});
      delivered.push_back({{{"sink", sink.name}}, static_cast<double>(sink.delivered)});
      queued.push_back({{{"sink", sink.name}}, static_cast<double>(sink.queued)});
    }
  }
  out.family("sshrelay_audit_events_lost_total", MetricType::counter,
             "Audit events a sink dropped (queue full, rejected, undelivered at stop).", lost);
  out.family("sshrelay_audit_events_delivered_total", MetricType::counter, "Audit events a sink's destination took.",
             delivered);
  out.family("sshrelay_audit_events_queued", MetricType::gauge, "Audit events waiting in a sink's queue.", queued);
}

void write_jwks(metrics::ExpositionWriter& out, const RelayContext& ctx) {
  const auto jwks = ctx.authenticator ? ctx.authenticator->jwks() : nullptr;
  if (!jwks) return;  // provider none: no keys to fetch
  const auto stats = jwks->stats();
  out.family("sshrelay_jwks_fetches_total", MetricType::counter, "Fetches of the identity provider's signing keys.",
             {Sample{{{"result", "ok"}}, static_cast<double>(stats.fetches_ok)},
              Sample{{{"result", "failed"}}, static_cast<double>(stats.fetches_failed)}});
  out.single("sshrelay_jwks_keys", MetricType::gauge, "Signing keys held from the identity provider.",
             static_cast<double>(stats.keys));
}

}  // namespace

void RelayMetrics::count(const AuditEvent& event) {
  std::lock_guard lock(mutex_);
  counters_.count(event);
}

std::string RelayMetrics::render(const RelayContext& ctx) const {
  metrics::ExpositionWriter out;
  out.family("sshrelay_build_info", MetricType::gauge, "Always 1; the version is a label.",
             {Sample{{{"version", kVersion}}, 1}});
  out.single("sshrelay_start_time_seconds", MetricType::gauge, "When the relay started, in seconds since the Unix epoch.",
             static_cast<double>(start_unix_seconds_));
  write_sessions(out, ctx);
  write_rendezvous(out, ctx);
  out.single("sshrelay_replay_bytes", MetricType::gauge, "Bytes held for replay (sent, not yet acknowledged).",
             static_cast<double>(ctx.budget.in_use()));
  out.single("sshrelay_replay_budget_bytes", MetricType::gauge, "The replay memory budget (--max-replay-memory).",
             static_cast<double>(ctx.budget.limit()));
  write_audit_sinks(out, ctx);
  write_jwks(out, ctx);
  {
    std::lock_guard lock(mutex_);
    counters_.write(out);
  }
  return out.text();
}

}  // namespace sshrelay::daemon
