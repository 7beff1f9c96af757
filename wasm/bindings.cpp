// The JS face of the browser SSH client: the only file that includes <emscripten/bind.h>. It converts
// between BrowserSession (core's client session machine + libssh) and plain JS values (objects, strings, numbers, Uint8Array copies) and nothing
// more. The API is described in docs/wasm.md. Bulk bytes cross through js_bytes.js (one native copy).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <type_traits>
#include <variant>

#include "core/session/v4_client_session.hpp"
#include "core/wire/close_code.hpp"
#include "wasm/browser_session.hpp"
#include "wasm/command_channel.hpp"
#include "wasm/keys.hpp"
#include "wasm/port_share.hpp"
#include "wasm/sftp_channel.hpp"

extern "C" {
// js_bytes.js
int sshrelay_bytes_length(emscripten::EM_VAL bytes);
void sshrelay_bytes_copy(emscripten::EM_VAL bytes, std::uint8_t* dest);
emscripten::EM_VAL sshrelay_bytes_new(const std::uint8_t* data, std::size_t length);
emscripten::EM_VAL sshrelay_bytes_view(const std::uint8_t* data, std::size_t length);
}

namespace sshrelay::wasm {
namespace {

using emscripten::val;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The bytes of a JS argument: Uint8Array (or any ArrayBufferView), ArrayBuffer, or a string (UTF-8).
// `storage` is reused across calls, so a stream of messages allocates nothing.
std::span<const std::uint8_t> bytes_of(const val& js, std::string& storage) {
  const int n = sshrelay_bytes_length(js.as_handle());
  if (n < 0) {
    storage = js.as<std::string>();
  } else {
    storage.resize(static_cast<std::size_t>(n));
    if (n > 0) sshrelay_bytes_copy(js.as_handle(), reinterpret_cast<std::uint8_t*>(storage.data()));
  }
  return bytes_of(storage);
}

// A Uint8Array that owns its bytes (a copy), so it stays valid whatever the wasm heap does next.
val to_uint8array(const std::vector<std::uint8_t>& bytes) {
  return val::take_ownership(sshrelay_bytes_new(bytes.data(), bytes.size()));
}

std::string string_option(const val& options, const char* name, const std::string& fallback) {
  const val v = options[name];
  return v.isUndefined() || v.isNull() ? fallback : v.as<std::string>();
}

double number_option(const val& options, const char* name, double fallback) {
  const val v = options[name];
  return v.isUndefined() || v.isNull() ? fallback : v.as<double>();
}

BrowserSession::Options session_options(const val& js) {
  BrowserSession::Options o;
  o.ssh.host = string_option(js, "host", "");
  o.ssh.port = static_cast<int>(number_option(js, "port", 22));
  o.ssh.user = string_option(js, "user", "");
  o.ssh.host_key_algorithms = string_option(js, "hostKeyAlgorithms", "");
  o.ssh.log_level = static_cast<int>(number_option(js, "logLevel", 0));
  o.shape = string_option(js, "shape", "v4") == "relay" ? RelayShape::relay : RelayShape::v4;
  o.path_prefix = string_option(js, "pathPrefix", "");
  o.replay_cap = static_cast<std::size_t>(number_option(js, "replayCap", 1 << 20));
  o.ack_batch = static_cast<std::size_t>(number_option(js, "ackBatch", 0));
  o.ack_delay = Duration(static_cast<Duration::rep>(number_option(js, "ackDelayMs", 5)));
  o.reconnect_budget = Duration(static_cast<Duration::rep>(number_option(js, "reconnectBudgetMs", 120000)));
  o.hello_timeout = Duration(static_cast<Duration::rep>(number_option(js, "helloTimeoutMs", 15000)));
  o.seed = static_cast<std::uint64_t>(number_option(js, "seed", 0));
  o.rendezvous_id = string_option(js, "rendezvousId", "");
  o.rendezvous_token = string_option(js, "rendezvousToken", "");
  return o;
}

val key_pair_object(const KeyPair& k) {
  val o = val::object();
  if (!k.error.empty()) {
    o.set("error", k.error);
    return o;
  }
  if (!k.private_key.empty()) o.set("privateKey", k.private_key);
  o.set("publicKey", k.public_key);
  o.set("fingerprint", k.fingerprint);
  return o;
}

// File attributes as the panel reads them; absent fields are left out.
val attributes_object(const sftp::FileAttributes& a) {
  val o = val::object();
  if (a.size) o.set("size", static_cast<double>(*a.size));
  if (a.mtime) o.set("mtime", static_cast<double>(*a.mtime));
  if (a.uid) o.set("uid", static_cast<double>(*a.uid));
  if (a.gid) o.set("gid", static_cast<double>(*a.gid));
  if (a.permissions) o.set("mode", static_cast<double>(*a.permissions));
  o.set("permissions", sftp::permission_text(a.permissions));
  o.set("type", std::string(a.is_directory() ? "dir" : a.is_symlink() ? "link" : a.is_regular() ? "file" : "other"));
  return o;
}

// `data` events carry a view of `data_store`, which holds the bytes until the next event is taken.
val file_event_object(sftp::FileEvent& event, std::vector<std::uint8_t>& data_store) {
  val o = val::object();
  o.set("op", sftp::operation_of(event));
  std::visit(
      [&](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, sftp::Listed>) {
          o.set("type", std::string("listed"));
          val entries = val::array();
          for (const auto& entry : e.entries) {
            val item = attributes_object(entry.attrs);
            item.set("name", entry.name);
            entries.call<void>("push", item);
          }
          o.set("entries", entries);
        } else if constexpr (std::is_same_v<E, sftp::Resolved>) {
          o.set("type", std::string("resolved"));
          o.set("path", e.path);
        } else if constexpr (std::is_same_v<E, sftp::Stated>) {
          o.set("type", std::string("stated"));
          o.set("attrs", attributes_object(e.attrs));
        } else if constexpr (std::is_same_v<E, sftp::DownloadStarted>) {
          o.set("type", std::string("started"));
          o.set("size", e.size ? val(static_cast<double>(*e.size)) : val::null());
        } else if constexpr (std::is_same_v<E, sftp::DownloadData>) {
          o.set("type", std::string("data"));
          o.set("offset", static_cast<double>(e.offset));
          data_store = std::move(e.bytes);
          o.set("bytes", val::take_ownership(sshrelay_bytes_view(data_store.data(), data_store.size())));
        } else if constexpr (std::is_same_v<E, sftp::UploadProgress>) {
          o.set("type", std::string("progress"));
          o.set("written", static_cast<double>(e.written));
        } else if constexpr (std::is_same_v<E, sftp::Done>) {
          o.set("type", std::string("done"));
          o.set("bytes", static_cast<double>(e.bytes));
        } else if constexpr (std::is_same_v<E, sftp::Failed>) {
          o.set("type", std::string("failed"));
          o.set("message", e.message);
          if (e.code) o.set("code", static_cast<int>(*e.code));
        } else {
          o.set("type", std::string("cancelled"));
          o.set("message", e.message);
        }
      },
      event);
  return o;
}

class SshSession {
 public:
  explicit SshSession(val options) : session_(session_options(options)) {}

  val step() {
    const bool finished = session_.step();
    const SshDriver& ssh = session_.ssh();
    const std::string state = session_.state();
    val o = val::object();
    o.set("state", state);
    o.set("transport", std::string(transport_state()));
    if (!finished) o.set("more", true);  // step budget spent: call step() again soon
    if (state == "host-key") {
      val key = val::object();
      key.set("type", ssh.host_key().type);
      key.set("fingerprint", ssh.host_key().fingerprint);
      key.set("base64", ssh.host_key().base64);
      o.set("hostKey", key);
    } else if (state == "auth") {
      val methods = val::array();
      for (const auto& m : ssh.auth_methods()) methods.call<void>("push", m);
      o.set("methods", methods);
      o.set("partial", ssh.auth_partial());
      if (!ssh.auth_failure().empty()) o.set("failure", ssh.auth_failure());
      if (!ssh.banner().empty()) o.set("banner", ssh.banner());
    } else if (state == "kbd-interactive") {
      const auto& k = ssh.kbd_interactive();
      o.set("name", k.name);
      o.set("instruction", k.instruction);
      val prompts = val::array();
      for (const auto& p : k.prompts) {
        val prompt = val::object();
        prompt.set("prompt", p.text);
        prompt.set("echo", p.echo);
        prompts.call<void>("push", prompt);
      }
      o.set("prompts", prompts);
    } else if (state == "closed") {
      o.set("exitStatus", ssh.exit_status() ? val(*ssh.exit_status()) : val::null());
      if (!ssh.exit_signal().empty()) o.set("exitSignal", ssh.exit_signal());
    } else if (state == "error") {
      o.set("message", session_.error());
    }
    return o;
  }

  bool acceptHostKey() { return result(session_.ssh().accept_host_key()); }
  bool authPassword(const std::string& password) { return result(session_.ssh().auth_password(password)); }
  bool authPublicKey(const std::string& key, const std::string& passphrase) {
    return result(session_.ssh().auth_public_key(key, passphrase));
  }
  bool authKeyboardInteractive() { return result(session_.ssh().auth_kbd_interactive()); }
  bool answerKeyboardInteractive(val answers) {
    std::vector<std::string> list;
    const int n = answers["length"].as<int>();
    for (int i = 0; i < n; ++i) list.push_back(answers[i].as<std::string>());
    return result(session_.ssh().answer_kbd_interactive(list));
  }
  bool openShell(int cols, int rows, const std::string& term) {
    return result(session_.ssh().open_shell(cols, rows, term));
  }
  bool exec(const std::string& command) { return result(session_.ssh().exec(command)); }
  bool write(val bytes) { return result(session_.ssh().write(bytes_of(bytes, scratch_))); }
  bool sendEof() { return result(session_.ssh().send_eof()); }
  bool resize(int cols, int rows) { return result(session_.ssh().resize(cols, rows)); }
  // Input bytes write() accepted that the channel has not taken yet (window, relay backpressure).
  double pendingInput() const { return static_cast<double>(session_.ssh().pending_input()); }
  val read() { return to_uint8array(session_.ssh().take_stdout()); }
  val readStderr() { return to_uint8array(session_.ssh().take_stderr()); }
  void close() { session_.ssh().close(); }
  std::string lastError() const { return last_error_; }

  // --- files: SFTP on a second channel (docs/wasm.md). Operations return an id (0: no SFTP channel,
  // lastError() says why); their results come from filesNextEvent(). ---
  bool openFiles() { return result(session_.ssh().open_sftp()); }
  val filesState() {
    SftpChannel* sftp = session_.ssh().sftp();
    val o = val::object();
    o.set("state", std::string(sftp == nullptr ? "none" : sftp_state_name(sftp->state())));
    if (sftp != nullptr && !sftp->error().empty()) o.set("error", sftp->error());
    return o;
  }
  double filesList(const std::string& path) { return files_op([&](auto& f) { return f.list(path); }); }
  double filesRealpath(const std::string& path) { return files_op([&](auto& f) { return f.realpath(path); }); }
  double filesStat(const std::string& path) { return files_op([&](auto& f) { return f.stat(path); }); }
  double filesMkdir(const std::string& path) { return files_op([&](auto& f) { return f.mkdir(path); }); }
  double filesRmdir(const std::string& path) { return files_op([&](auto& f) { return f.rmdir(path); }); }
  double filesRemove(const std::string& path) { return files_op([&](auto& f) { return f.remove(path); }); }
  double filesRename(const std::string& from, const std::string& to) {
    return files_op([&](auto& f) { return f.rename(from, to); });
  }
  // limit < 0: the whole file.
  double filesDownload(const std::string& path, double limit) {
    const auto max = limit < 0 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(limit);
    return files_op([&](auto& f) { return f.download(path, max); });
  }
  bool filesConsumed(double op, double n) {
    auto* files = file_session();
    if (files == nullptr) return false;
    auto status = files->consumed(static_cast<sftp::OperationId>(op), static_cast<std::uint64_t>(n));
    return result(status ? std::string() : status.error().message);
  }
  double filesUpload(const std::string& path) { return files_op([&](auto& f) { return f.upload(path); }); }
  double filesUploadRoom(double op) {
    auto* files = file_session();
    return files == nullptr ? 0 : static_cast<double>(files->upload_room(static_cast<sftp::OperationId>(op)));
  }
  bool filesUploadPush(double op, val bytes) {
    auto* files = file_session();
    if (files == nullptr) return false;
    auto status = files->upload_push(static_cast<sftp::OperationId>(op), bytes_of(bytes, scratch_));
    return result(status ? std::string() : status.error().message);
  }
  bool filesUploadFinish(double op) {
    auto* files = file_session();
    if (files == nullptr) return false;
    auto status = files->upload_finish(static_cast<sftp::OperationId>(op));
    return result(status ? std::string() : status.error().message);
  }
  void filesCancel(double op) {
    if (auto* files = file_session()) files->cancel(static_cast<sftp::OperationId>(op));
  }
  val filesNextEvent() {
    auto* files = file_session();
    if (files == nullptr) return val::null();
    auto event = files->next_event();
    return event ? file_event_object(*event, last_data_) : val::null();
  }

  // --- "Share a port" (docs/wasm.md): one share per tunnel WebSocket, by id (0: none, lastError()) ---
  double shareOpen(const std::string& host, int port) {
    const auto phase = session_.ssh().phase();
    if (phase != SshDriver::Phase::authenticated && phase != SshDriver::Phase::opening && phase != SshDriver::Phase::open) {
      last_error_ = std::string("sharePort() in state ") + phase_name(phase);
      return 0;
    }
    if (host.empty() || port < 1 || port > 65535) {
      last_error_ = "sharePort(): a host and a port 1-65535";
      return 0;
    }
    const int id = next_share_++;
    shares_.emplace(id, std::make_unique<PortShare>(session_.ssh(), host, port));
    return id;
  }
  void shareReceive(double id, val message, bool binary) {
    if (auto* share = port_share(id)) share->on_message(bytes_of(message, scratch_), binary);
  }
  // What to send on the share's WebSocket: strings (control messages) and Uint8Arrays (frames).
  val sharePump(double id, bool may_send) {
    val out = val::array();
    auto* share = port_share(id);
    if (share == nullptr) return out;
    share->pump(may_send);
    for (const auto& m : share->take_messages()) {
      if (m.binary) {
        out.call<void>("push", to_uint8array(m.bytes));
      } else {
        out.call<void>("push", std::string(m.bytes.begin(), m.bytes.end()));
      }
    }
    return out;
  }
  val shareInfo(double id) const {
    const auto it = shares_.find(static_cast<int>(id));
    if (it == shares_.end()) return val::null();
    const auto& share = *it->second;
    const auto& client = share.client();
    val o = val::object();
    o.set("host", share.host());
    o.set("port", share.port());
    o.set("ready", client.ready().has_value());
    if (client.ready()) {
      o.set("url", client.ready()->tunnel_url);
      o.set("rawPort", client.ready()->raw_port);
      o.set("streams", client.ready()->streams);
    }
    o.set("open", static_cast<double>(client.open_connections()));
    o.set("connections", static_cast<double>(client.connections_opened()));
    o.set("bytesIn", static_cast<double>(client.bytes_in()));
    o.set("bytesOut", static_cast<double>(client.bytes_out()));
    o.set("refused", static_cast<double>(share.refused()));
    if (!share.last_refusal().empty()) o.set("lastRefusal", share.last_refusal());
    return o;
  }
  void shareClose(double id) { shares_.erase(static_cast<int>(id)); }

  // --- commands on their own channels (an SSH-Web site's `capabilities`, `receive-pack`, …) ---
  // An id, or 0 (lastError() says why).
  double commandRun(const std::string& command) {
    const int id = session_.ssh().run_command(command);
    if (id == 0) last_error_ = std::string("runCommand() in state ") + phase_name(session_.ssh().phase());
    return id;
  }
  // {state, received} while it runs; once it ended {state: 'finished', exitStatus, stdout, stderr} or
  // {state: 'error', error} — the output is handed over once, and the command forgotten.
  val commandPoll(double id) {
    auto* command = session_.ssh().command(static_cast<int>(id));
    val o = val::object();
    if (command == nullptr) {
      o.set("state", std::string("error"));
      o.set("error", std::string("no such command"));
      return o;
    }
    o.set("state", std::string(command_state_name(command->state())));
    o.set("received", static_cast<double>(command->stdout_size()));
    if (command->state() == CommandChannel::State::finished) {
      o.set("exitStatus", *command->exit_status());
      o.set("stdout", to_uint8array(command->take_stdout()));
      o.set("stderr", command->take_stderr());
    } else if (command->state() == CommandChannel::State::error) {
      o.set("error", command->error());
    } else {
      return o;
    }
    session_.ssh().drop_command(static_cast<int>(id));
    return o;
  }

  // --- the relay session (core's machine): report what happened with performance.now(), then pull ---
  void start(double now) { session_.start(time_from_ms(now)); }
  void stop(double now) { session_.stop(time_from_ms(now)); }
  val takeOpen() {
    auto open = session_.machine().take_open();
    if (!open) return val::null();
    val o = val::object();
    o.set("requestTarget", open->request_target);
    o.set("reconnect", open->reconnect);
    o.set("attempt", open->attempt);
    o.set("credentialsRefused", open->credentials_refused);
    return o;
  }
  void openSucceeded(double now) { session_.open_succeeded(time_from_ms(now)); }
  void openFailed(const std::string& detail, double now) { session_.open_failed(detail, time_from_ms(now)); }
  void relayClosed(int code, const std::string& reason, double now) {
    session_.relay_closed(static_cast<std::uint16_t>(code), reason, time_from_ms(now));
  }
  void transportLost(const std::string& why, double now) { session_.transport_lost(why, time_from_ms(now)); }
  // False when the message broke the protocol: the session is over (outcome() says why, and
  // takeClose() has the close frame to send).
  bool receiveMessage(val message, bool binary, double now) {
    session_.receive_message(bytes_of(message, scratch_), binary, time_from_ms(now));
    const auto& outcome = session_.machine().outcome();
    if (outcome && outcome->end == ClientEnd::protocol_error) {
      last_error_ = session_.error();
      return false;
    }
    return true;
  }
  val takeOutgoingMessages(double now) {
    val out = val::array();
    for (const auto& m : session_.take_messages(time_from_ms(now))) out.call<void>("push", to_uint8array(*m));
    return out;
  }
  val takeClose() {
    auto close = session_.machine().take_close();
    if (!close) return val::null();
    val o = val::object();
    o.set("code", close->code);
    o.set("reason", close->reason);
    return o;
  }
  bool takeAbandon() { return session_.machine().take_abandon(); }
  // performance.now() milliseconds at which onTimeout() is due, or null.
  val nextDeadline() const {
    const auto deadline = session_.machine().next_deadline();
    return deadline ? val(ms_from_time(*deadline)) : val::null();
  }
  void onTimeout(double now) { session_.on_timeout(time_from_ms(now)); }
  val nextEvent() {
    auto event = session_.machine().next_event();
    if (!event) return val::null();
    val o = val::object();
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, RelayConnected>) {
            o.set("type", std::string("connected"));
            o.set("sessionId", e.session_id);
          } else if constexpr (std::is_same_v<E, TransportDropped>) {
            o.set("type", std::string("dropped"));
            o.set("why", e.why);
            o.set("resumeAck", static_cast<double>(e.resume_ack));
          } else if constexpr (std::is_same_v<E, AttemptFailed>) {
            o.set("type", std::string("attemptFailed"));
            o.set("attempt", e.attempt);
            o.set("detail", e.detail);
            o.set("retryInMs", static_cast<double>(e.retry_in.count()));
          } else if constexpr (std::is_same_v<E, RelayResumed>) {
            o.set("type", std::string("resumed"));
            o.set("peerReceived", static_cast<double>(e.peer_received));
            o.set("retransmitting", static_cast<double>(e.retransmitting));
            o.set("afterMs", static_cast<double>(e.after.count()));
          } else {
            o.set("type", std::string("credentialsRetry"));
          }
        },
        *event);
    return o;
  }
  val outcome() const {
    const auto& outcome = session_.machine().outcome();
    if (!outcome) return val::null();
    val o = val::object();
    o.set("end", std::string(client_end_name(outcome->end)));
    o.set("closeCode", outcome->close_code);
    o.set("closeReason", outcome->close_reason);
    o.set("httpStatus", outcome->http_status);
    o.set("detail", outcome->detail);
    o.set("meaning", outcome->end == ClientEnd::closed_by_relay ? std::string(close_code_meaning(outcome->close_code))
                                                                : std::string());
    return o;
  }
  std::string sessionId() const { return session_.machine().session_id(); }
  val transportInfo() const {
    const auto& m = session_.machine();
    val o = val::object();
    o.set("mode", std::string(session_.shape() == RelayShape::v4 ? "v4" : "relay"));
    o.set("state", std::string(transport_state()));
    o.set("sessionId", m.session_id());
    double acked = static_cast<double>(session_.bytes_sent());  // /relay: nothing is acknowledged
    if (const auto* v4 = dynamic_cast<const V4ClientSession*>(&m)) acked = static_cast<double>(v4->stream().bytes_acked());
    o.set("bytesSent", static_cast<double>(session_.bytes_sent()));
    o.set("bytesAcked", acked);
    o.set("bytesReceived", static_cast<double>(session_.bytes_received()));
    o.set("resumes", static_cast<double>(m.reconnects()));
    if (const auto& outcome = m.outcome(); outcome && !outcome->detail.empty()) o.set("error", outcome->detail);
    return o;
  }

 private:
  // connecting (the relay has not answered) | live | reconnecting (v4: from a drop to RECONNECT_SUCCESS)
  // | ended (the machine has an outcome)
  const char* transport_state() const {
    const auto& m = session_.machine();
    if (m.finished()) return "ended";
    if (const auto* v4 = dynamic_cast<const V4ClientSession*>(&m); v4 && v4->reconnecting()) return "reconnecting";
    if (m.transport_open() && session_.answered()) return "live";
    return "connecting";
  }

  bool result(const std::string& error) {
    last_error_ = error;
    return error.empty();
  }

  sftp::FileSession* file_session() {
    SftpChannel* sftp = session_.ssh().sftp();
    if (sftp == nullptr) {
      last_error_ = "no SFTP channel: call openFiles() first";
      return nullptr;
    }
    return &sftp->files();
  }
  template <class Start>
  double files_op(Start start) {
    auto* files = file_session();
    return files == nullptr ? 0 : static_cast<double>(start(*files));
  }

  PortShare* port_share(double id) {
    const auto it = shares_.find(static_cast<int>(id));
    return it == shares_.end() ? nullptr : it->second.get();
  }

  BrowserSession session_;
  std::map<int, std::unique_ptr<PortShare>> shares_;  // after session_: freed first
  int next_share_ = 1;
  std::string last_error_;
  std::string scratch_;  // the last write()/receiveMessage() argument's bytes
  std::vector<std::uint8_t> last_data_;  // the bytes the last `data` event's view shows
};

std::string closeCodeMeaning(int code) { return std::string(close_code_meaning(static_cast<std::uint16_t>(code))); }

val generateEd25519(const std::string& comment, const std::string& passphrase) {
  return key_pair_object(generate_ed25519(comment, passphrase));
}

val inspectPrivateKey(const std::string& key, const std::string& passphrase, const std::string& comment) {
  return key_pair_object(inspect_private_key(key, passphrase, comment));
}

}  // namespace
}  // namespace sshrelay::wasm

EMSCRIPTEN_BINDINGS(sshrelay_client) {
  using namespace emscripten;
  using sshrelay::wasm::SshSession;
  class_<SshSession>("SshSession")
      .constructor<val>()
      .function("step", &SshSession::step)
      .function("acceptHostKey", &SshSession::acceptHostKey)
      .function("authPassword", &SshSession::authPassword)
      .function("authPublicKey", &SshSession::authPublicKey)
      .function("authKeyboardInteractive", &SshSession::authKeyboardInteractive)
      .function("answerKeyboardInteractive", &SshSession::answerKeyboardInteractive)
      .function("openShell", &SshSession::openShell)
      .function("exec", &SshSession::exec)
      .function("write", &SshSession::write)
      .function("sendEof", &SshSession::sendEof)
      .function("resize", &SshSession::resize)
      .function("pendingInput", &SshSession::pendingInput)
      .function("read", &SshSession::read)
      .function("readStderr", &SshSession::readStderr)
      .function("close", &SshSession::close)
      .function("lastError", &SshSession::lastError)
      .function("openFiles", &SshSession::openFiles)
      .function("filesState", &SshSession::filesState)
      .function("filesList", &SshSession::filesList)
      .function("filesRealpath", &SshSession::filesRealpath)
      .function("filesStat", &SshSession::filesStat)
      .function("filesMkdir", &SshSession::filesMkdir)
      .function("filesRmdir", &SshSession::filesRmdir)
      .function("filesRemove", &SshSession::filesRemove)
      .function("filesRename", &SshSession::filesRename)
      .function("filesDownload", &SshSession::filesDownload)
      .function("filesConsumed", &SshSession::filesConsumed)
      .function("filesUpload", &SshSession::filesUpload)
      .function("filesUploadRoom", &SshSession::filesUploadRoom)
      .function("filesUploadPush", &SshSession::filesUploadPush)
      .function("filesUploadFinish", &SshSession::filesUploadFinish)
      .function("filesCancel", &SshSession::filesCancel)
      .function("filesNextEvent", &SshSession::filesNextEvent)
      .function("shareOpen", &SshSession::shareOpen)
      .function("shareReceive", &SshSession::shareReceive)
      .function("sharePump", &SshSession::sharePump)
      .function("shareInfo", &SshSession::shareInfo)
      .function("shareClose", &SshSession::shareClose)
      .function("commandRun", &SshSession::commandRun)
      .function("commandPoll", &SshSession::commandPoll)
      .function("start", &SshSession::start)
      .function("stop", &SshSession::stop)
      .function("takeOpen", &SshSession::takeOpen)
      .function("openSucceeded", &SshSession::openSucceeded)
      .function("openFailed", &SshSession::openFailed)
      .function("relayClosed", &SshSession::relayClosed)
      .function("transportLost", &SshSession::transportLost)
      .function("receiveMessage", &SshSession::receiveMessage)
      .function("takeOutgoingMessages", &SshSession::takeOutgoingMessages)
      .function("takeClose", &SshSession::takeClose)
      .function("takeAbandon", &SshSession::takeAbandon)
      .function("nextDeadline", &SshSession::nextDeadline)
      .function("onTimeout", &SshSession::onTimeout)
      .function("nextEvent", &SshSession::nextEvent)
      .function("outcome", &SshSession::outcome)
      .function("sessionId", &SshSession::sessionId)
      .function("transportInfo", &SshSession::transportInfo);
  function("generateEd25519", &sshrelay::wasm::generateEd25519);
  function("inspectPrivateKey", &sshrelay::wasm::inspectPrivateKey);
  function("closeCodeMeaning", &sshrelay::wasm::closeCodeMeaning);
}
