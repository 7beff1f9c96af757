#pragma once
// One command run on its own session channel of the page's SSH connection (`exec`), beside the
// terminal, the file panel and shared ports: how the page asks an SSH-Web site for its manifest, its
// pack or an api-call (docs/sshweb.md). Stepped by the SshDriver in the same passes as the other
// channels, never blocking. Output is collected whole, up to a cap, and taken once the command ended.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

namespace sshrelay::wasm {

class CommandChannel {
 public:
  enum class State { opening, running, finished, error };
  // A site's pack is the largest output expected; past this the command is abandoned with a reason.
  static constexpr std::size_t kMaxStdout = 256u << 20;
  static constexpr std::size_t kMaxStderr = 64u << 10;

  CommandChannel(ssh_session session, std::string command);
  ~CommandChannel();
  CommandChannel(const CommandChannel&) = delete;
  CommandChannel& operator=(const CommandChannel&) = delete;

  bool pump();  // true if anything changed
  void connection_lost(const std::string& why);

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  std::optional<int> exit_status() const { return exit_status_; }
  std::size_t stdout_size() const { return stdout_.size(); }
  std::vector<std::uint8_t> take_stdout() { return std::move(stdout_); }
  std::string take_stderr() { return std::move(stderr_); }

 private:
  enum class Step { open_session, exec, read };
  bool read_stream(int is_stderr);
  void fail(const std::string& why);
  static void on_exit_status(ssh_session, ssh_channel, int status, void* self);

  ssh_session session_;
  ssh_channel channel_ = nullptr;
  ssh_channel_callbacks_struct callbacks_{};
  std::string command_;
  Step step_ = Step::open_session;
  State state_ = State::opening;
  std::string error_;
  std::optional<int> exit_status_;
  std::vector<std::uint8_t> stdout_;
  std::string stderr_;
};

const char* command_state_name(CommandChannel::State state);

}  // namespace sshrelay::wasm
