#include "wasm/ssh_driver.hpp"

#include <algorithm>
#include <cstring>

#include "wasm/byte_pipe.hpp"
#include "wasm/command_channel.hpp"
#include "wasm/forward_channel.hpp"
#include "wasm/sftp_channel.hpp"

namespace sshrelay::wasm {
namespace {

// Bounds one step() call; every pass either consumes input (at most 4096 bytes: libssh's read size)
// or changes state, so this is megabytes of input, far more than one WebSocket message brings.
constexpr int kMaxPasses = 4096;
constexpr std::size_t kReadChunk = 16384;

std::string take_c_string(char* s) {
  std::string out = s != nullptr ? s : "";
  ssh_string_free_char(s);
  return out;
}

void wipe(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

}  // namespace

const char* phase_name(SshDriver::Phase phase) {
  switch (phase) {
    case SshDriver::Phase::kex: return "kex";
    case SshDriver::Phase::host_key: return "host-key";
    case SshDriver::Phase::auth: return "auth";
    case SshDriver::Phase::authenticating: return "authenticating";
    case SshDriver::Phase::kbd_interactive: return "kbd-interactive";
    case SshDriver::Phase::authenticated: return "authenticated";
    case SshDriver::Phase::opening: return "opening";
    case SshDriver::Phase::open: return "open";
    case SshDriver::Phase::closed: return "closed";
    case SshDriver::Phase::error: return "error";
  }
  return "error";
}

SshDriver::SshDriver(const Options& options, BytePipe& pipe) : pipe_(pipe) {
  if (pipe_.fd() < 0) {
    fail("could not create the transport socket");
    return;
  }
  session_ = ssh_new();
  if (session_ == nullptr) {
    fail("ssh_new failed");
    return;
  }
  int log_level = options.log_level;
  int port = options.port;
  socket_t fd = pipe_.fd();
  bool process_config = false;
  const bool ok =
      ssh_options_set(session_, SSH_OPTIONS_LOG_VERBOSITY, &log_level) == SSH_OK &&
      ssh_options_set(session_, SSH_OPTIONS_HOST, options.host.c_str()) == SSH_OK &&
      ssh_options_set(session_, SSH_OPTIONS_PORT, &port) == SSH_OK &&
      ssh_options_set(session_, SSH_OPTIONS_USER, options.user.c_str()) == SSH_OK &&
      // No ~/.ssh/config, no known_hosts files: the page keeps its own host-key store.
      ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &process_config) == SSH_OK &&
      ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") == SSH_OK &&
      ssh_options_set(session_, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") == SSH_OK &&
      (options.host_key_algorithms.empty() ||
       ssh_options_set(session_, SSH_OPTIONS_HOSTKEYS, options.host_key_algorithms.c_str()) == SSH_OK) &&
      ssh_options_set(session_, SSH_OPTIONS_FD, &fd) == SSH_OK;
  if (!ok) {
    fail_ssh("invalid SSH option");
    return;
  }
  ssh_set_blocking(session_, 0);
}

SshDriver::~SshDriver() {
  wipe_secrets();
  sftp_.reset();
  forwards_.clear();
  commands_.clear();
  if (channel_ != nullptr) ssh_channel_free(channel_);
  if (event_ != nullptr) {
    ssh_event_remove_session(event_, session_);
    ssh_event_free(event_);
  }
  if (session_ != nullptr) {
    ssh_disconnect(session_);  // leaves a descriptor given with SSH_OPTIONS_FD open: the pipe closes it
    ssh_free(session_);
  }
}

// ---------------------------------------------------------------------------------------------------
// Stepping

bool SshDriver::step() {
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    if (phase_ == Phase::error || session_ == nullptr) return true;
    const std::uint64_t reads_before = pipe_.reads();
    bool changed = advance();
    // Stall 2: libssh calls above may not have polled; drain the queue into libssh in every phase
    // once kex is done, so packets (window adjusts, exit-status, close) and an EOF never wait, even
    // while the session waits for the user.
    if (event_ != nullptr && pipe_.readable() && phase_ != Phase::error) {
      const int rc = ssh_event_dopoll(event_, 0);  // SSH_ERROR also means EOF: judged below
      if (phase_ == Phase::open) {
        changed = pump_channel() || changed;
      } else if (rc == SSH_ERROR && phase_ != Phase::closed) {
        fail_ssh("connection");
      }
    }
    // The file panel's channel moves in the same passes (it may outlive the terminal's channel).
    if (sftp_ && phase_ != Phase::error) changed = sftp_->pump() || changed;
    if (phase_ != Phase::error) {
      for (auto& [id, forward] : forwards_) changed = forward->pump() || changed;
      for (auto& [id, command] : commands_) changed = command->pump() || changed;
    }
    // Stall 3: libssh holds written packets until its next poll.
    flush();
    // Stall 1: libssh reads at most 4096 bytes per poll; another pass while anything was read.
    if (!changed && pipe_.reads() == reads_before) return true;
  }
  return false;
}

bool SshDriver::advance() {
  switch (phase_) {
    case Phase::kex: return advance_kex();
    case Phase::authenticating: return advance_auth();
    case Phase::opening: return advance_opening();
    case Phase::open: return pump_channel();
    case Phase::host_key:
    case Phase::auth:
    case Phase::kbd_interactive:
    case Phase::authenticated:
    case Phase::closed:
    case Phase::error: return false;
  }
  return false;
}

void SshDriver::flush() {
  if (session_ == nullptr || phase_ == Phase::error) return;
  if (ssh_blocking_flush(session_, 0) == SSH_ERROR && phase_ != Phase::closed) fail_ssh("write");
}

bool SshDriver::advance_kex() {
  const int rc = ssh_connect(session_);
  if (rc == SSH_AGAIN) return false;
  if (rc != SSH_OK) {
    fail_ssh("key exchange");
    return true;
  }
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session_, &key) != SSH_OK) {
    fail_ssh("server host key");
    return true;
  }
  host_key_.type = ssh_key_type_to_char(ssh_key_type(key));
  unsigned char* hash = nullptr;
  size_t hash_len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) == SSH_OK) {
    host_key_.fingerprint = take_c_string(ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len));
    ssh_clean_pubkey_hash(&hash);
  }
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK) host_key_.base64 = take_c_string(b64);
  ssh_key_free(key);
  if (host_key_.fingerprint.empty() || host_key_.base64.empty()) {
    fail("could not read the server's host key");
    return true;
  }
  // From here on an ssh_event polls the pipe whatever libssh call is (or is not) in progress.
  event_ = ssh_event_new();
  if (event_ == nullptr || ssh_event_add_session(event_, session_) != SSH_OK) {
    fail("ssh_event_add_session failed");
    return true;
  }
  phase_ = Phase::host_key;
  return true;
}

std::string SshDriver::accept_host_key() {
  if (phase_ != Phase::host_key) return std::string("acceptHostKey() in state ") + phase_name(phase_);
  // Ask with "none" first: it may succeed, and otherwise the answer lists the methods the server takes.
  auth_op_ = AuthOp::none;
  phase_ = Phase::authenticating;
  return {};
}

// ---------------------------------------------------------------------------------------------------
// Authentication

void SshDriver::enter_auth() {
  auth_methods_ = ssh_userauth_list(session_, nullptr);
  if (char* banner = ssh_get_issue_banner(session_)) banner_ = take_c_string(banner);
  phase_ = Phase::auth;
}

std::vector<std::string> SshDriver::auth_methods() const {
  std::vector<std::string> out;
  if (auth_methods_ & SSH_AUTH_METHOD_PUBLICKEY) out.emplace_back("publickey");
  if (auth_methods_ & SSH_AUTH_METHOD_PASSWORD) out.emplace_back("password");
  if (auth_methods_ & SSH_AUTH_METHOD_INTERACTIVE) out.emplace_back("keyboard-interactive");
  if (auth_methods_ & SSH_AUTH_METHOD_HOSTBASED) out.emplace_back("hostbased");
  if (auth_methods_ & SSH_AUTH_METHOD_GSSAPI_MIC) out.emplace_back("gssapi-with-mic");
  return out;
}

bool SshDriver::advance_auth() {
  int rc = SSH_AUTH_ERROR;
  switch (auth_op_) {
    case AuthOp::none: rc = ssh_userauth_none(session_, nullptr); break;
    case AuthOp::password: rc = ssh_userauth_password(session_, nullptr, password_.c_str()); break;
    case AuthOp::public_key: rc = ssh_userauth_publickey(session_, nullptr, auth_key_); break;
    case AuthOp::kbd_interactive: rc = ssh_userauth_kbdint(session_, nullptr, nullptr); break;
  }
  switch (rc) {
    case SSH_AUTH_AGAIN: return false;
    case SSH_AUTH_SUCCESS:
      wipe_secrets();
      if (char* banner = ssh_get_issue_banner(session_)) banner_ = take_c_string(banner);
      phase_ = Phase::authenticated;
      return true;
    case SSH_AUTH_INFO: {
      const int n = ssh_userauth_kbdint_getnprompts(session_);
      if (n <= 0) return true;  // an empty round (OpenSSH sends one after the password): answer at once
      kbd_ = {};
      kbd_.name = ssh_userauth_kbdint_getname(session_);
      kbd_.instruction = ssh_userauth_kbdint_getinstruction(session_);
      for (int i = 0; i < n; ++i) {
        char echo = 0;
        const char* prompt = ssh_userauth_kbdint_getprompt(session_, static_cast<unsigned>(i), &echo);
        kbd_.prompts.push_back({prompt != nullptr ? prompt : "", echo != 0});
      }
      phase_ = Phase::kbd_interactive;
      return true;
    }
    case SSH_AUTH_PARTIAL:
    case SSH_AUTH_DENIED: {
      const AuthOp op = auth_op_;
      wipe_secrets();
      auth_partial_ = rc == SSH_AUTH_PARTIAL;
      auth_failure_ = op == AuthOp::none       ? ""
                      : auth_partial_          ? "partial success: the server wants another method"
                      : op == AuthOp::password ? "password refused"
                      : op == AuthOp::public_key ? "public key refused"
                                                 : "keyboard-interactive authentication refused";
      enter_auth();
      return true;
    }
    default:
      wipe_secrets();
      fail_ssh("authentication");
      return true;
  }
}

std::string SshDriver::auth_password(const std::string& password) {
  if (phase_ != Phase::auth) return std::string("authPassword() in state ") + phase_name(phase_);
  password_ = password;
  auth_op_ = AuthOp::password;
  phase_ = Phase::authenticating;
  return {};
}

std::string SshDriver::auth_public_key(const std::string& private_key_text, const std::string& passphrase) {
  if (phase_ != Phase::auth) return std::string("authPublicKey() in state ") + phase_name(phase_);
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_base64(private_key_text.c_str(), passphrase.empty() ? nullptr : passphrase.c_str(),
                                    nullptr, nullptr, &key) != SSH_OK) {
    return "could not read the private key (wrong passphrase, or not an OpenSSH/PEM private key)";
  }
  auth_key_ = key;
  auth_op_ = AuthOp::public_key;
  phase_ = Phase::authenticating;
  return {};
}

std::string SshDriver::auth_kbd_interactive() {
  if (phase_ != Phase::auth) return std::string("authKeyboardInteractive() in state ") + phase_name(phase_);
  auth_op_ = AuthOp::kbd_interactive;
  phase_ = Phase::authenticating;
  return {};
}

std::string SshDriver::answer_kbd_interactive(const std::vector<std::string>& answers) {
  if (phase_ != Phase::kbd_interactive) return std::string("answerKeyboardInteractive() in state ") + phase_name(phase_);
  if (answers.size() != kbd_.prompts.size()) {
    return "expected " + std::to_string(kbd_.prompts.size()) + " answers, got " + std::to_string(answers.size());
  }
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (ssh_userauth_kbdint_setanswer(session_, static_cast<unsigned>(i), answers[i].c_str()) < 0) {
      return "could not set answer " + std::to_string(i);
    }
  }
  kbd_ = {};
  phase_ = Phase::authenticating;  // auth_op_ is still kbd_interactive: the next call sends the answers
  return {};
}

void SshDriver::wipe_secrets() {
  wipe(password_);
  if (auth_key_ != nullptr) {
    ssh_key_free(auth_key_);
    auth_key_ = nullptr;
  }
}

// ---------------------------------------------------------------------------------------------------
// Channel

std::string SshDriver::open_shell(int cols, int rows, const std::string& term) {
  if (phase_ != Phase::authenticated) return std::string("openShell() in state ") + phase_name(phase_);
  if (cols <= 0 || rows <= 0) return "openShell() needs positive cols and rows";
  want_pty_ = true;
  cols_ = cols;
  rows_ = rows;
  if (!term.empty()) term_ = term;
  command_.clear();
  open_step_ = OpenStep::open_session;
  phase_ = Phase::opening;
  return {};
}

std::string SshDriver::exec(const std::string& command) {
  if (phase_ != Phase::authenticated) return std::string("exec() in state ") + phase_name(phase_);
  want_pty_ = false;
  command_ = command;
  open_step_ = OpenStep::open_session;
  phase_ = Phase::opening;
  return {};
}

bool SshDriver::advance_opening() {
  if (channel_ == nullptr) {
    channel_ = ssh_channel_new(session_);
    if (channel_ == nullptr) {
      fail_ssh("channel");
      return true;
    }
    ssh_callbacks_init(&channel_callbacks_);
    channel_callbacks_.userdata = this;
    channel_callbacks_.channel_exit_status_function = &SshDriver::on_exit_status;
    channel_callbacks_.channel_exit_signal_function = &SshDriver::on_exit_signal;
    ssh_set_channel_callbacks(channel_, &channel_callbacks_);
  }
  int rc = SSH_OK;
  switch (open_step_) {
    case OpenStep::open_session: rc = ssh_channel_open_session(channel_); break;
    case OpenStep::pty: rc = ssh_channel_request_pty_size(channel_, term_.c_str(), cols_, rows_); break;
    case OpenStep::shell: rc = ssh_channel_request_shell(channel_); break;
    case OpenStep::exec: rc = ssh_channel_request_exec(channel_, command_.c_str()); break;
    case OpenStep::done: break;
  }
  if (rc == SSH_AGAIN) return false;
  if (rc != SSH_OK) {
    fail_ssh(open_step_ == OpenStep::open_session ? "channel open"
             : open_step_ == OpenStep::pty        ? "pty request"
             : open_step_ == OpenStep::shell      ? "shell request"
                                                  : "exec request");
    return true;
  }
  switch (open_step_) {
    case OpenStep::open_session:
      open_step_ = want_pty_ ? OpenStep::pty : (command_.empty() ? OpenStep::shell : OpenStep::exec);
      break;
    case OpenStep::pty: open_step_ = OpenStep::shell; break;
    case OpenStep::shell:
    case OpenStep::exec:
    case OpenStep::done:
      open_step_ = OpenStep::done;
      phase_ = Phase::open;
      break;
  }
  return true;
}

std::string SshDriver::write(std::span<const std::uint8_t> bytes) {
  if (phase_ != Phase::open && phase_ != Phase::opening) return std::string("write() in state ") + phase_name(phase_);
  if (eof_requested_) return "write() after sendEof()";
  if (input_head_ == input_.size()) {
    input_.clear();
    input_head_ = 0;
  }
  input_.insert(input_.end(), bytes.begin(), bytes.end());
  return {};
}

std::string SshDriver::send_eof() {
  if (phase_ != Phase::open && phase_ != Phase::opening) return std::string("sendEof() in state ") + phase_name(phase_);
  eof_requested_ = true;
  return {};
}

std::string SshDriver::resize(int cols, int rows) {
  if (cols <= 0 || rows <= 0) return "resize() needs positive cols and rows";
  cols_ = cols;
  rows_ = rows;
  if (phase_ != Phase::open) return {};  // remembered; a pty not yet requested gets this size
  if (!want_pty_) return "resize() without a pty";
  if (ssh_channel_change_pty_size(channel_, cols, rows) == SSH_ERROR) return ssh_get_error(session_);
  return {};
}

bool SshDriver::pump_channel() {
  if (phase_ != Phase::open || channel_ == nullptr) return false;
  bool changed = false;
  std::uint8_t buffer[kReadChunk];
  for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
    auto& out = is_stderr ? stderr_ : stdout_;
    for (;;) {
      const int n = ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer, is_stderr);
      if (n > 0) {
        out.insert(out.end(), buffer, buffer + n);
        changed = true;
        continue;
      }
      if (n == SSH_ERROR) {
        if (exit_status_ || ssh_channel_is_closed(channel_)) {
          finish_closed();
          return true;
        }
        fail_ssh("channel read");
        return true;
      }
      break;  // 0: nothing now; SSH_EOF: the server sent EOF
    }
  }
  // Terminal input, as far as the channel window and the relay's replay cap allow.
  while (input_head_ < input_.size() && (!input_gate_ || input_gate_()) && !ssh_channel_is_closed(channel_)) {
    const std::size_t len = std::min<std::size_t>(input_.size() - input_head_, 32768);
    const int n = ssh_channel_write(channel_, input_.data() + input_head_, static_cast<std::uint32_t>(len));
    if (n < 0) {
      fail_ssh("channel write");
      return true;
    }
    if (n == 0) break;  // window closed; a WINDOW_ADJUST will arrive
    input_head_ += static_cast<std::size_t>(n);
    changed = true;
  }
  if (eof_requested_ && !eof_sent_ && input_head_ == input_.size() && !ssh_channel_is_closed(channel_)) {
    eof_sent_ = true;
    if (ssh_channel_send_eof(channel_) == SSH_ERROR) {
      fail_ssh("channel eof");
      return true;
    }
    changed = true;
  }
  if (ssh_channel_is_closed(channel_) && ssh_channel_poll(channel_, 0) <= 0 && ssh_channel_poll(channel_, 1) <= 0) {
    finish_closed();
    return true;
  }
  return changed;
}

void SshDriver::finish_closed() {
  // A channel that "closed" because the connection died, with no exit status or signal, is an error.
  if (!exit_status_ && exit_signal_.empty() && (ssh_get_status(session_) & SSH_CLOSED_ERROR) != 0) {
    fail_ssh("connection lost");
    return;
  }
  if (channel_ != nullptr) {
    ssh_channel_close(channel_);  // answers the server's CLOSE (no-op if already sent)
  }
  phase_ = Phase::closed;
}

int SshDriver::open_forward(const std::string& host, int port) {
  if (phase_ != Phase::authenticated && phase_ != Phase::opening && phase_ != Phase::open) return 0;
  const int id = next_forward_++;
  forwards_.emplace(id, std::make_unique<ForwardChannel>(session_, host, port, [this] { return !input_gate_ || input_gate_(); }));
  return id;
}

ForwardChannel* SshDriver::forward(int id) {
  const auto it = forwards_.find(id);
  return it == forwards_.end() ? nullptr : it->second.get();
}

void SshDriver::drop_forward(int id) { forwards_.erase(id); }

int SshDriver::run_command(const std::string& command) {
  if (phase_ != Phase::authenticated && phase_ != Phase::opening && phase_ != Phase::open) return 0;
  const int id = next_command_++;
  commands_.emplace(id, std::make_unique<CommandChannel>(session_, command));
  return id;
}

CommandChannel* SshDriver::command(int id) {
  const auto it = commands_.find(id);
  return it == commands_.end() ? nullptr : it->second.get();
}

void SshDriver::drop_command(int id) { commands_.erase(id); }

std::string SshDriver::open_sftp() {
  if (sftp_) return "openFiles(): SFTP is already open";
  if (phase_ != Phase::authenticated && phase_ != Phase::opening && phase_ != Phase::open) {
    return std::string("openFiles() in state ") + phase_name(phase_);
  }
  sftp_ = std::make_unique<SftpChannel>(session_, [this] { return !input_gate_ || input_gate_(); });
  return {};
}

void SshDriver::close() {
  if (sftp_) sftp_->close();
  if (phase_ == Phase::error || phase_ == Phase::closed) return;
  wipe_secrets();
  if (channel_ != nullptr && !ssh_channel_is_closed(channel_)) ssh_channel_close(channel_);
  if (session_ != nullptr && event_ != nullptr) ssh_blocking_flush(session_, 0);
  phase_ = Phase::closed;
}

void SshDriver::on_exit_status(ssh_session, ssh_channel, int status, void* self) {
  static_cast<SshDriver*>(self)->exit_status_ = status;
}

void SshDriver::on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                               void* self) {
  static_cast<SshDriver*>(self)->exit_signal_ = signal != nullptr ? signal : "";
}

// ---------------------------------------------------------------------------------------------------

void SshDriver::fail(std::string message) {
  if (phase_ == Phase::error) return;
  wipe_secrets();
  error_ = std::move(message);
  phase_ = Phase::error;
  if (sftp_) sftp_->connection_lost("connection lost: " + error_);
  for (auto& [id, forward] : forwards_) forward->connection_lost("connection lost: " + error_);
  for (auto& [id, command] : commands_) command->connection_lost("connection lost: " + error_);
}

void SshDriver::fail_ssh(const char* what) {
  const char* detail = session_ != nullptr ? ssh_get_error(session_) : "";
  fail(std::string(what) + ": " + (detail != nullptr && *detail ? detail : "failed"));
}

}  // namespace sshrelay::wasm
