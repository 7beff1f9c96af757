#include "native/daemon/relay_context.hpp"

#include "native/daemon/audit/audit_log.hpp"

namespace sshrelay::daemon {

void RelayContext::audit(AuditEvent event) const {
  if (!audit_log) return;
  audit_log->emit(std::move(event));
}

}  // namespace sshrelay::daemon
