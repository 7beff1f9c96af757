#include "native/daemon/relay_context.hpp"

#include "native/daemon/audit/audit_log.hpp"
#include "native/daemon/relay_metrics.hpp"

namespace sshrelay::daemon {

HostPolicy host_policy_for(const DaemonConfig& config) {
  std::vector<std::string> names = config.allowed_hosts;
  names.push_back(config.public_host);
  for (const auto& listen : config.listen) names.push_back(listen.host);
  return HostPolicy(names);
}

OriginPolicy origin_policy_for(const DaemonConfig& config) {
  return OriginPolicy({config.allowed_origins, config.public_host, config.public_port, config.require_origin},
                      host_policy_for(config));
}

void RelayContext::audit(AuditEvent event) const {
  if (metrics) metrics->count(event);
  if (!audit_log) return;
  audit_log->emit(std::move(event));
}

}  // namespace sshrelay::daemon
