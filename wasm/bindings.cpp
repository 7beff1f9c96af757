// The JS face of the browser SSH client: the only file that includes <emscripten/bind.h>. It converts
// between ClientSession and plain JS values (objects, strings, numbers, Uint8Array copies) and nothing
// more. The API is described in docs/wasm.md. Bulk bytes cross through js_bytes.js (one native copy).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wasm/client_session.hpp"
#include "wasm/keys.hpp"

extern "C" {
// js_bytes.js
int sshrelay_bytes_length(emscripten::EM_VAL bytes);
void sshrelay_bytes_copy(emscripten::EM_VAL bytes, std::uint8_t* dest);
emscripten::EM_VAL sshrelay_bytes_new(const std::uint8_t* data, std::size_t length);
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

ClientSession::Options session_options(const val& js) {
  ClientSession::Options o;
  o.ssh.host = string_option(js, "host", "");
  o.ssh.port = static_cast<int>(number_option(js, "port", 22));
  o.ssh.user = string_option(js, "user", "");
  o.ssh.host_key_algorithms = string_option(js, "hostKeyAlgorithms", "");
  o.ssh.log_level = static_cast<int>(number_option(js, "logLevel", 0));
  o.transport = string_option(js, "transport", "v4") == "raw" ? TransportMode::raw : TransportMode::v4;
  o.replay_cap = static_cast<std::size_t>(number_option(js, "replayCap", 1 << 20));
  o.ack_batch = static_cast<std::size_t>(number_option(js, "ackBatch", 0));
  return o;
}

const char* transport_state_name(ClientTransport::State s) {
  switch (s) {
    case ClientTransport::State::connecting: return "connecting";
    case ClientTransport::State::live: return "live";
    case ClientTransport::State::detached: return "lost";
    case ClientTransport::State::resuming: return "resuming";
    case ClientTransport::State::closed: return "closed";
    case ClientTransport::State::failed: return "failed";
  }
  return "failed";
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

class SshSession {
 public:
  explicit SshSession(val options) : session_(session_options(options)) {}

  val step() {
    const bool finished = session_.step();
    const SshDriver& ssh = session_.ssh();
    const std::string state = session_.state();
    val o = val::object();
    o.set("state", state);
    o.set("transport", std::string(transport_state_name(session_.transport().state())));
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

  // --- transport ---
  bool receiveMessage(val message) {
    if (session_.receive_message(bytes_of(message, scratch_))) return true;
    last_error_ = session_.transport().error();
    return false;
  }
  val takeOutgoingMessages() {
    val out = val::array();
    for (const auto& m : session_.take_messages()) out.call<void>("push", to_uint8array(m));
    return out;
  }
  bool ackPending() const { return session_.transport().ack_pending(); }
  // Acknowledges everything received so far: the next takeOutgoingMessages() carries the ACK.
  void flushAck() { session_.flush_ack(); }
  void transportLost() { session_.transport_lost(); }
  bool transportReconnected() {
    std::string why;
    if (session_.transport_reconnected(why)) return true;
    last_error_ = why;
    return false;
  }
  void transportClosed() { session_.transport_closed(); }
  bool canResume() const { return session_.transport().can_resume(); }
  std::string sessionId() const { return session_.transport().session_id(); }
  double reconnectAck() const { return static_cast<double>(session_.transport().reconnect_ack()); }
  val transportInfo() const {
    const auto& t = session_.transport();
    val o = val::object();
    o.set("mode", std::string(t.mode() == TransportMode::v4 ? "v4" : "raw"));
    o.set("state", std::string(transport_state_name(t.state())));
    o.set("sessionId", t.session_id());
    o.set("bytesSent", static_cast<double>(t.bytes_sent()));
    o.set("bytesAcked", static_cast<double>(t.bytes_acked()));
    o.set("bytesReceived", static_cast<double>(t.bytes_received()));
    o.set("resumes", t.resumes());
    if (!t.error().empty()) o.set("error", t.error());
    return o;
  }

 private:
  bool result(const std::string& error) {
    last_error_ = error;
    return error.empty();
  }

  ClientSession session_;
  std::string last_error_;
  std::string scratch_;  // the last write()/receiveMessage() argument's bytes
};

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
      .function("receiveMessage", &SshSession::receiveMessage)
      .function("takeOutgoingMessages", &SshSession::takeOutgoingMessages)
      .function("ackPending", &SshSession::ackPending)
      .function("flushAck", &SshSession::flushAck)
      .function("transportLost", &SshSession::transportLost)
      .function("transportReconnected", &SshSession::transportReconnected)
      .function("transportClosed", &SshSession::transportClosed)
      .function("canResume", &SshSession::canResume)
      .function("sessionId", &SshSession::sessionId)
      .function("reconnectAck", &SshSession::reconnectAck)
      .function("transportInfo", &SshSession::transportInfo);
  function("generateEd25519", &sshrelay::wasm::generateEd25519);
  function("inspectPrivateKey", &sshrelay::wasm::inspectPrivateKey);
}
