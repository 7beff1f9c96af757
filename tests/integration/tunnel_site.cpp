#include "tests/integration/tunnel_site.hpp"

#include <filesystem>
#include <stdexcept>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"

namespace sshrelay::itest {

TunnelSite::TunnelSite(const testing::TempDir& dir)
    : port_file_(dir.file("site.port")),
      process_({"python3", source_tree() + "/tests/integration/services/tunnel_site.py", port_file_},
               testing::ProcessIo{"", dir.file("site.log"), dir.file("site.log")}) {
  namespace fs = std::filesystem;
  if (!wait_until([&] { return fs::exists(port_file_) || !process_.running(); }, std::chrono::seconds(60)) ||
      !fs::exists(port_file_)) {
    throw std::runtime_error("tunnel_site.py did not start: " + testing::file_tail(dir.file("site.log")));
  }
  port_ = static_cast<std::uint16_t>(std::stoi(testing::read_file(port_file_)));
}

}  // namespace sshrelay::itest
