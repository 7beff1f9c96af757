#pragma once
// An SSH client session around libssh in non-blocking mode, stepped by its owner: no thread, no
// ASYNCIFY, no blocking call. libssh talks to a file descriptor (a BytePipe); the owner pushes bytes
// into the pipe and calls step(), which runs libssh until it can make no further progress without new
// input or a decision from the user (host key, credentials), avoiding the three stalls of design.md §7.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

namespace sshrelay::wasm {

class BytePipe;
class CommandChannel;
class ForwardChannel;
class SftpChannel;

struct HostKey {
  std::string type;         // e.g. "ssh-ed25519"
  std::string fingerprint;  // "SHA256:<unpadded base64>", as OpenSSH prints it
  std::string base64;       // the key blob, as in a known_hosts line
};

struct KbdInteractive {
  std::string name;
  std::string instruction;
  struct Prompt {
    std::string text;
    bool echo;
  };
  std::vector<Prompt> prompts;
};

class SshDriver {
 public:
  enum class Phase {
    kex,              // banner exchange and key exchange
    host_key,         // waiting for accept_host_key() (or close())
    auth,             // waiting for credentials; auth_methods() says which the server takes
    authenticating,   // a credential is being tried
    kbd_interactive,  // waiting for answer_kbd_interactive()
    authenticated,    // waiting for open_shell() or exec()
    opening,          // channel open / pty / shell or exec requests in flight
    open,             // the channel is open: write()/read()
    closed,           // the channel (or the connection) ended; exit_status() may be known
    error,            // fatal; error() says why
  };

  struct Options {
    std::string host;
    int port = 22;
    std::string user;
    std::string host_key_algorithms;  // empty: libssh's default order
    int log_level = 0;                // SSH_LOG_* (libssh logs to stderr)
  };

  SshDriver(const Options& options, BytePipe& pipe);
  ~SshDriver();
  SshDriver(const SshDriver&) = delete;
  SshDriver& operator=(const SshDriver&) = delete;

  // Asked before each write of terminal input: false holds input back (the relay's replay cap is
  // full). libssh's own protocol messages are never held.
  void set_input_gate(std::function<bool()> gate) { input_gate_ = std::move(gate); }

  // Runs until idle. Returns false if it stopped early (pass budget spent) and should run again.
  bool step();

  // User decisions. Each returns an empty string, or why the call is not possible now (the session
  // is unharmed by a refused call).
  std::string accept_host_key();
  std::string auth_password(const std::string& password);
  std::string auth_public_key(const std::string& private_key_text, const std::string& passphrase);
  std::string auth_kbd_interactive();  // starts keyboard-interactive
  std::string answer_kbd_interactive(const std::vector<std::string>& answers);
  std::string open_shell(int cols, int rows, const std::string& term);
  std::string exec(const std::string& command);
  std::string write(std::span<const std::uint8_t> bytes);
  std::string send_eof();  // after pending input is written
  std::string resize(int cols, int rows);
  void close();
  // Opens SFTP on a second channel of this connection (after authentication; once). Files move
  // through sftp()->files() while the terminal goes on.
  std::string open_sftp();
  SftpChannel* sftp() { return sftp_.get(); }
  // "Share a port": direct-tcpip channels to host:port on the server's side (forward_channel.hpp),
  // stepped with the others. An id (never 0), or 0 before authentication or after the end.
  int open_forward(const std::string& host, int port);
  ForwardChannel* forward(int id);
  void drop_forward(int id);
  // A command on its own session channel (command_channel.hpp), e.g. an SSH-Web site's `capabilities`:
  // an id (never 0), or 0 before authentication or after the end.
  int run_command(const std::string& command);
  CommandChannel* command(int id);
  void drop_command(int id);

  Phase phase() const { return phase_; }
  const std::string& error() const { return error_; }
  const HostKey& host_key() const { return host_key_; }
  std::vector<std::string> auth_methods() const;
  bool auth_partial() const { return auth_partial_; }
  const std::string& auth_failure() const { return auth_failure_; }  // why the last try failed
  const std::string& banner() const { return banner_; }
  const KbdInteractive& kbd_interactive() const { return kbd_; }
  std::optional<int> exit_status() const { return exit_status_; }
  const std::string& exit_signal() const { return exit_signal_; }
  std::size_t pending_input() const { return input_.size() - input_head_; }

  std::vector<std::uint8_t> take_stdout() { return std::exchange(stdout_, {}); }
  std::vector<std::uint8_t> take_stderr() { return std::exchange(stderr_, {}); }

 private:
  enum class AuthOp { none, password, public_key, kbd_interactive };
  enum class OpenStep { open_session, pty, shell, exec, done };

  bool advance();  // one pass over the current phase; true if something changed
  bool advance_kex();
  bool advance_auth();
  bool advance_opening();
  bool pump_channel();
  void flush();
  void fail(std::string message);
  void fail_ssh(const char* what);
  void enter_auth();
  void finish_closed();
  void wipe_secrets();

  static void on_exit_status(ssh_session, ssh_channel, int status, void* self);
  static void on_exit_signal(ssh_session, ssh_channel, const char* signal, int core, const char* errmsg,
                             const char* lang, void* self);

  BytePipe& pipe_;
  std::function<bool()> input_gate_;
  ssh_session session_ = nullptr;
  ssh_event event_ = nullptr;  // polls the pipe in any phase after kex
  ssh_channel channel_ = nullptr;
  ssh_channel_callbacks_struct channel_callbacks_{};
  Phase phase_ = Phase::kex;
  std::string error_;

  HostKey host_key_;
  int auth_methods_ = 0;
  bool auth_partial_ = false;
  std::string auth_failure_;
  std::string banner_;
  AuthOp auth_op_ = AuthOp::none;
  std::string password_;
  ssh_key auth_key_ = nullptr;
  KbdInteractive kbd_;

  OpenStep open_step_ = OpenStep::open_session;
  bool want_pty_ = false;
  int cols_ = 80;
  int rows_ = 24;
  std::string term_ = "xterm-256color";
  std::string command_;

  std::vector<std::uint8_t> input_;  // terminal input not yet taken by the channel window
  std::size_t input_head_ = 0;
  bool eof_requested_ = false;
  bool eof_sent_ = false;
  std::vector<std::uint8_t> stdout_;
  std::vector<std::uint8_t> stderr_;
  std::optional<int> exit_status_;
  std::string exit_signal_;
  std::unique_ptr<SftpChannel> sftp_;  // freed before the session (see the destructor)
  std::map<int, std::unique_ptr<ForwardChannel>> forwards_;  // likewise
  int next_forward_ = 1;
  std::map<int, std::unique_ptr<CommandChannel>> commands_;  // likewise
  int next_command_ = 1;
};

const char* phase_name(SshDriver::Phase phase);

}  // namespace sshrelay::wasm
