#include "native/sshweb/site_server.hpp"

#include <chrono>

#include "native/daemon/log.hpp"
#include "native/libssh/channel_write.hpp"
#include "native/libssh/host_key.hpp"
#include "native/libssh/ssh_listener.hpp"
#include "native/sshweb/line_shell.hpp"
#include "native/sshweb/site_commands.hpp"

namespace sshrelay::sshweb {
namespace {

using daemon::log;
using daemon::LogLevel;
using libssh::SshMessage;
using libssh::SshSession;

}  // namespace

SiteServer::SiteServer(SiteConfig site, ServerLimits limits, daemon::audit::AuditLog* audit)
    : site_(std::move(site)), limits_(std::move(limits)), audit_(audit) {}

SiteServer::~SiteServer() { stop(); }

Status SiteServer::start() {
  const std::string name = "site " + site_.host + " (port " + std::to_string(site_.port) + ")";
  if (site_.host_key.empty()) return local_error(name + ": no host-key: write 'host-key <path>' (created when missing)");
  auto key = libssh::load_or_create_host_key(site_.host_key);
  if (!key) return local_error(name + ": " + key.error().message);
  log(LogLevel::info, name + ": host key " + key->fingerprint + (key->created ? " (new, written to " + site_.host_key + ")" : ""));
  auto access = SiteAccess::open(site_);
  if (!access) return local_error(name + ": " + access.error().message);
  access_ = std::move(*access);
  if (site_.mcp) {
    auto mcp = McpClient::start(*site_.mcp, limits_.backend_timeout, "site " + site_.host);
    if (!mcp) return local_error(name + ": " + mcp.error().message);
    mcp_ = std::move(*mcp);
  }
  if (site_.proxy_cache.configured()) proxy_ = std::make_unique<ProxyFetcher>(site_.proxy_cache, limits_.backend_timeout);
  listener_ = std::make_unique<libssh::SshListener>(name, limits_.bind_address, site_.port, limits_.max_connections);
  return listener_->start(std::move(key->key),
                          [this](libssh::SshSession session, const std::string& address) { serve(std::move(session), address); });
}

void SiteServer::stop() {
  // Connections end with their commands (each is bounded by the idle timeout).
  if (listener_) listener_->stop();
}

void SiteServer::serve(SshSession session, const std::string& address) {
  ssh_session s = session.get();
  long timeout = static_cast<long>(limits_.idle_timeout.count());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_set_auth_methods(s, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE | SSH_AUTH_METHOD_PASSWORD);
  if (ssh_handle_key_exchange(s) != SSH_OK) {
    log(LogLevel::debug, "site " + site_.host + ": key exchange with " + address + " failed: " + ssh_get_error(s));
    return;
  }
  ClientIdentity client;
  client.address = address;
  bool authenticated = false;
  ssh_channel channel = nullptr;
  SiteCommands commands(site_, *access_, limits_.backend_timeout, mcp_.get(), proxy_.get());
  // One message at a time. Each session channel runs one exec and is closed (as sshttpd does); the
  // connection then waits for another channel — the browser runs capabilities, receive-pack and its
  // api-calls over one login — until the client leaves or stays idle past the timeout.
  while (SshMessage message{ssh_message_get(s)}) {
    ssh_message m = message.get();
    const int type = ssh_message_type(m);
    const int subtype = ssh_message_subtype(m);
    if (type == SSH_REQUEST_SERVICE) {
      ssh_message_service_reply_success(m);
      continue;
    }
    if (!authenticated && type == SSH_REQUEST_AUTH) {
      client.user = ssh_message_auth_user(m) ? ssh_message_auth_user(m) : "";
      if (subtype == SSH_AUTH_METHOD_PUBLICKEY) {
        ssh_key key = ssh_message_auth_pubkey(m);
        const auto state = ssh_message_auth_publickey_state(m);
        if (state == SSH_PUBLICKEY_STATE_NONE) {
          ssh_message_auth_reply_pk_ok_simple(m);  // "would you take this key?" yes: any key identifies
          continue;
        }
        if (state != SSH_PUBLICKEY_STATE_VALID || !key) {
          ssh_message_reply_default(m);
          continue;
        }
        char* base64 = nullptr;
        ssh_pki_export_pubkey_base64(key, &base64);
        const std::string type_name = ssh_key_type_to_char(ssh_key_type(key));
        const std::string blob = base64 ? base64 : "";
        ssh_string_free_char(base64);
        std::string display;
        client.tier = access_->tier_of(type_name, blob, &display);
        client.fingerprint = libssh::key_fingerprint(key);
        client.public_key = type_name + " " + blob + (display.empty() ? "" : " " + display);
        authenticated = true;
        ssh_message_auth_reply_success(m, 0);
      } else if (subtype == SSH_AUTH_METHOD_INTERACTIVE || subtype == SSH_AUTH_METHOD_PASSWORD ||
                 (subtype == SSH_AUTH_METHOD_NONE && client.user == "anonymous")) {
        client.tier = Tier::anonymous;
        authenticated = true;
        ssh_message_auth_reply_success(m, 0);
      } else {
        ssh_message_auth_set_methods(m, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE | SSH_AUTH_METHOD_PASSWORD);
        ssh_message_reply_default(m);
      }
      continue;
    }
    if (!authenticated) {
      ssh_message_reply_default(m);
      continue;
    }
    if (type == SSH_REQUEST_CHANNEL_OPEN && subtype == SSH_CHANNEL_SESSION && !channel) {
      channel = ssh_message_channel_request_open_reply_accept(m);
      continue;
    }
    if (type != SSH_REQUEST_CHANNEL || !channel) {
      ssh_message_reply_default(m);  // other channel types, global requests: refused
      continue;
    }
    if (subtype == SSH_CHANNEL_REQUEST_ENV) {
      const char* name = ssh_message_channel_request_env_name(m);
      const char* value = ssh_message_channel_request_env_value(m);
      if (name && value && std::string_view(name) == "SSHWEB_PUBKEY") client.public_key = value;
      ssh_message_channel_request_reply_success(m);
      continue;
    }
    const auto record = [&](const CommandResult& result, bool delivered) {
      audit(client, result.summary, result.exit_status, delivered ? result.err : "the client went away");
      log(LogLevel::info, "site " + site_.host + ": " + address + " (" + std::string(tier_name(client.tier)) +
                              (client.fingerprint.empty() ? "" : " " + client.fingerprint) + ") " + result.summary +
                              " -> exit " + std::to_string(result.exit_status));
    };
    if (subtype == SSH_CHANNEL_REQUEST_SHELL) {
      // sshttpd's line mode (line_shell.hpp); a pty-req before it was refused, which OpenSSH shrugs off.
      ssh_message_channel_request_reply_success(m);
      run_line_shell(channel, client, commands, std::chrono::duration_cast<std::chrono::milliseconds>(limits_.idle_timeout),
                     [&](const CommandResult& result) { record(result, true); });
      ssh_channel_request_send_exit_status(channel, 0);
      ssh_channel_send_eof(channel);
    } else if (subtype == SSH_CHANNEL_REQUEST_EXEC) {
      const std::string line = ssh_message_channel_request_command(m) ? ssh_message_channel_request_command(m) : "";
      ssh_message_channel_request_reply_success(m);
      auto result = commands.run(client, line);
      const bool delivered = libssh::write_all(channel, result.out) && libssh::write_all(channel, result.err, true);
      ssh_channel_request_send_exit_status(channel, result.exit_status);
      ssh_channel_send_eof(channel);
      record(result, delivered);
    } else {
      ssh_message_reply_default(m);  // pty-req, subsystem, x11…: nothing reaches a real shell
      continue;
    }
    ssh_channel_close(channel);
    ssh_channel_free(channel);  // libssh keeps it until the client's CLOSE arrives
    channel = nullptr;
  }
  if (channel) ssh_channel_free(channel);  // opened, but the client left before its command
}

void SiteServer::audit(const ClientIdentity& client, const std::string& summary, int exit_status, const std::string& error) {
  if (!audit_) return;
  AuditEvent event;
  event.type = AuditEventType::sshweb_command;
  event.principal = client.fingerprint.empty() ? "anonymous" : client.fingerprint;
  event.identity_provider = "sshweb";
  event.identity_subject = std::string(tier_name(client.tier));
  event.source_ip = client.address;
  event.target = site_.host + ":" + std::to_string(site_.port);
  event.target_user = client.user;
  event.endpoint = "sshweb";
  event.reason = summary + " -> exit " + std::to_string(exit_status);
  if (exit_status != 0) event.error = error.empty() ? "" : error.substr(0, error.find('\n'));
  audit_->emit(std::move(event));
}

}  // namespace sshrelay::sshweb
