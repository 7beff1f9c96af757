#include "native/sshweb/line_shell.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include "core/common/text.hpp"
#include "native/libssh/channel_write.hpp"

namespace sshrelay::sshweb {
namespace {

constexpr std::string_view kPrompt = "\n> ";

}  // namespace

void run_line_shell(ssh_channel channel, const ClientIdentity& client, SiteCommands& commands,
                    std::chrono::milliseconds idle_timeout,
                    const std::function<void(const CommandResult&)>& on_command) {
  if (!libssh::write_all(channel, "ssh-web/0.1 ready (tier: " + std::string(tier_name(client.tier)) + ")" + std::string(kPrompt))) return;
  std::array<char, 4096> buffer{};
  // Bounded by the client: every round either reads a line or ends (EOF, error, idle timeout).
  for (;;) {
    const int n = ssh_channel_read_timeout(channel, buffer.data(), static_cast<std::uint32_t>(buffer.size()), 0,
                                           static_cast<int>(idle_timeout.count()));
    if (n <= 0) return;  // 0: EOF or nothing within the idle timeout; SSH_ERROR: the connection broke
    // sshttpd takes each read as one line; several lines in one read (typed ahead, piped) run in turn.
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      const auto end = chunk.find('\n');
      const std::string line(trim_space(chunk.substr(0, end)));
      chunk = end == std::string_view::npos ? std::string_view() : chunk.substr(end + 1);
      if (line == "quit" || line == "exit") {
        libssh::write_all(channel, "bye\n");
        return;
      }
      if (line.empty()) continue;
      const auto result = commands.run(client, line, SiteCommands::OutputForm::text);
      on_command(result);
      std::string reply = result.exit_status == 0 ? result.out : result.err;
      while (!reply.empty() && reply.back() == '\n') reply.pop_back();
      if (!libssh::write_all(channel, reply + std::string(kPrompt))) return;
    }
  }
}

}  // namespace sshrelay::sshweb
