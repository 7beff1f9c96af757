#include "core/sftp/file_events.hpp"

namespace sshrelay::sftp {

OperationId operation_of(const FileEvent& event) {
  return std::visit([](const auto& e) { return e.op; }, event);
}

bool is_final(const FileEvent& event) {
  return std::holds_alternative<Done>(event) || std::holds_alternative<Failed>(event) ||
         std::holds_alternative<Cancelled>(event);
}

}  // namespace sshrelay::sftp
