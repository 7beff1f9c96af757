#include "native/gateway/mosh_session.hpp"

#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "core/gateway/user_name.hpp"
#include "native/gateway/mosh_client_process.hpp"
#include "native/libssh/channel_write.hpp"

namespace sshrelay::gateway {
namespace {

// Everything one connection's callbacks share.
struct Connection {
  explicit Connection(const MoshSessionHooks& h) : hooks(h) {}
  const MoshSessionHooks& hooks;
  ssh_session session = nullptr;
  std::string user;
  bool bad_user = false;
  bool authenticated = false;
  ssh_channel channel = nullptr;
  ssh_channel_callbacks_struct channel_callbacks{};
  int cols = 80, rows = 24;
  bool shell_requested = false;
  bool client_done = false;  // EOF or close from the client
  std::optional<MoshClientProcess> mosh;
  bool mosh_done = false;
};

bool user_ok(Connection& c, const char* user) {
  c.user = user ? user : "";
  if (!valid_gateway_user_name(c.user)) c.bad_user = true;
  return !c.bad_user;
}

int on_auth_pubkey(ssh_session, const char* user, ssh_key_struct* key, char signature_state, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (!user_ok(c, user)) return SSH_AUTH_DENIED;
  if (signature_state != SSH_PUBLICKEY_STATE_NONE && signature_state != SSH_PUBLICKEY_STATE_VALID) return SSH_AUTH_DENIED;
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &base64) != SSH_OK) return SSH_AUTH_DENIED;
  const std::string blob = base64;
  ssh_string_free_char(base64);
  const std::string type = ssh_key_type_to_char(ssh_key_type(key));
  if (!c.hooks.key_accepted(c.user, type, blob)) {
    if (signature_state == SSH_PUBLICKEY_STATE_VALID) c.hooks.report("denied", c.user, "public key " + type + " not authorized");
    return SSH_AUTH_DENIED;
  }
  // A probe (no signature yet) is answered "this key would do"; the signed attempt logs in.
  if (signature_state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;
  c.authenticated = true;
  return SSH_AUTH_SUCCESS;
}

int on_auth_password(ssh_session, const char* user, const char* password, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (!user_ok(c, user) || !c.hooks.password_accepted) return SSH_AUTH_DENIED;
  if (!c.hooks.password_accepted(c.user, password ? password : "")) {
    c.hooks.report("denied", c.user, "wrong password");
    return SSH_AUTH_DENIED;
  }
  c.authenticated = true;
  return SSH_AUTH_SUCCESS;
}

int on_auth_none(ssh_session, const char* user, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  user_ok(c, user);
  return SSH_AUTH_DENIED;
}

int on_data(ssh_session, ssh_channel, void* data, uint32_t len, int, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (!c.mosh) return 0;  // nothing to take it yet: libssh keeps it (the window holds the client)
  const char* bytes = static_cast<const char*>(data);
  std::uint32_t done = 0;
  // The pty is blocking: a full pty buffer holds the event loop a moment, as a terminal would.
  while (done < len) {
    const ssize_t n = ::write(c.mosh->master_fd(), bytes + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::uint32_t>(n);
  }
  return static_cast<int>(len);
}

int on_pty_request(ssh_session, ssh_channel, const char*, int cols, int rows, int, int, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  c.cols = cols > 0 ? cols : 80;
  c.rows = rows > 0 ? rows : 24;
  return 0;
}

int on_pty_window_change(ssh_session, ssh_channel, int cols, int rows, int, int, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  c.cols = cols > 0 ? cols : c.cols;
  c.rows = rows > 0 ? rows : c.rows;
  if (c.mosh) c.mosh->resize(c.cols, c.rows);
  return 0;
}

int on_shell_request(ssh_session, ssh_channel, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (c.shell_requested) return 1;
  c.shell_requested = true;  // started from the loop, not inside libssh's callback
  return 0;
}

int on_exec_request(ssh_session, ssh_channel, const char*, void*) { return 1; }        // MOSH carries a terminal only
int on_subsystem_request(ssh_session, ssh_channel, const char*, void*) { return 1; }   // (no sftp; --wan relay has it)

void on_eof(ssh_session, ssh_channel, void* userdata) { static_cast<Connection*>(userdata)->client_done = true; }
void on_close(ssh_session, ssh_channel, void* userdata) { static_cast<Connection*>(userdata)->client_done = true; }

ssh_channel on_channel_open(ssh_session session, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (c.channel != nullptr) return nullptr;  // one session channel per connection
  c.channel = ssh_channel_new(session);
  ssh_callbacks_init(&c.channel_callbacks);
  c.channel_callbacks.userdata = &c;
  c.channel_callbacks.channel_data_function = on_data;
  c.channel_callbacks.channel_pty_request_function = on_pty_request;
  c.channel_callbacks.channel_pty_window_change_function = on_pty_window_change;
  c.channel_callbacks.channel_shell_request_function = on_shell_request;
  c.channel_callbacks.channel_exec_request_function = on_exec_request;
  c.channel_callbacks.channel_subsystem_request_function = on_subsystem_request;
  c.channel_callbacks.channel_eof_function = on_eof;
  c.channel_callbacks.channel_close_function = on_close;
  ssh_set_channel_callbacks(c.channel, &c.channel_callbacks);
  return c.channel;
}

// mosh-client's screen to the client.
int on_pty_readable(socket_t fd, int revents, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) return 0;
  char buffer[65536];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    if (ssh_channel_write(c.channel, buffer, static_cast<std::uint32_t>(n)) == SSH_ERROR) c.client_done = true;
    return 0;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  c.mosh_done = true;  // EIO/EOF: mosh-client exited
  return 0;
}

}  // namespace

void serve_mosh_session(libssh::SshSession session, const std::string& address, const MoshSessionHooks& hooks) {
  ssh_session s = session.get();
  Connection c(hooks);
  c.session = s;
  ssh_server_callbacks_struct server_callbacks{};
  ssh_callbacks_init(&server_callbacks);
  server_callbacks.userdata = &c;
  server_callbacks.auth_pubkey_function = on_auth_pubkey;
  server_callbacks.auth_password_function = on_auth_password;
  server_callbacks.auth_none_function = on_auth_none;
  server_callbacks.channel_open_request_session_function = on_channel_open;
  ssh_set_server_callbacks(s, &server_callbacks);
  ssh_set_auth_methods(s, SSH_AUTH_METHOD_PUBLICKEY | (hooks.password_accepted ? SSH_AUTH_METHOD_PASSWORD : 0));
  if (ssh_handle_key_exchange(s) != SSH_OK) return;

  libssh::SshEvent event(ssh_event_new());
  if (!event || ssh_event_add_session(event.get(), s) != SSH_OK) return;
  const auto auth_deadline = std::chrono::steady_clock::now() + hooks.auth_timeout;
  // Authentication and the session's requests, until a shell is asked for (bounded by the timeout).
  while (!(c.authenticated && c.channel != nullptr && c.shell_requested)) {
    if (c.bad_user) {
      hooks.report("denied", c.user, "invalid user name (" + address + ")");
      return;  // refused at once: the connection closes (the peer's ILLEGAL_USER_NAME)
    }
    if (std::chrono::steady_clock::now() > auth_deadline) return;
    if (ssh_event_dopoll(event.get(), 200) == SSH_ERROR) return;
    if (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) return;
  }

  const std::string where = c.user + "@" + hooks.remote_label;
  libssh::write_all(c.channel, "  Connecting to " + where + " via MOSH ...\r\n");
  auto endpoint = hooks.start_mosh_server(c.user);
  Result<MoshClientProcess> started = endpoint ? MoshClientProcess::start(endpoint->address, endpoint->udp_port, endpoint->key, c.cols, c.rows)
                                               : Result<MoshClientProcess>(endpoint.error());
  int exit_status = 1;
  if (!started) {
    libssh::write_all(c.channel, "\r\n\x1b[31mError:\x1b[0m " + started.error().message + "\r\n");
    hooks.report("close", c.user, "could not start MOSH: " + started.error().message);
  } else {
    c.mosh.emplace(std::move(*started));
    hooks.report("start", c.user, "mosh-client to " + endpoint->address + ":" + std::to_string(endpoint->udp_port));
    ssh_event_add_fd(event.get(), c.mosh->master_fd(), POLLIN, on_pty_readable, &c);
    // Bounded by either side: the client's EOF/close or mosh-client's exit ends it.
    while (!c.client_done && !c.mosh_done && !(ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
      if (ssh_event_dopoll(event.get(), 500) == SSH_ERROR) break;
    }
    ssh_event_remove_fd(event.get(), c.mosh->master_fd());
    exit_status = c.mosh_done ? c.mosh->wait_exit(3000) : c.mosh->stop();
    if (exit_status < 0) exit_status = c.mosh_done ? 0 : 255;
    // The remote shell ended (not the client): its own status, when the remote kept it for us.
    if (c.mosh_done && !c.client_done && hooks.remote_exit_status) {
      if (const auto remote = hooks.remote_exit_status(c.user, endpoint->exit_file)) exit_status = *remote;
    }
    hooks.report("close", c.user, c.mosh_done ? "mosh-client exited (" + std::to_string(exit_status) + ")" : "the client left");
  }
  if (!(ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) && !ssh_channel_is_closed(c.channel)) {
    ssh_channel_request_send_exit_status(c.channel, exit_status);
    ssh_channel_send_eof(c.channel);
    ssh_channel_close(c.channel);
    // Let the client close the connection (bounded), so it reads everything first.
    for (int i = 0; i < 50 && !(ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)); ++i) {
      if (ssh_event_dopoll(event.get(), 100) == SSH_ERROR) break;
    }
  }
  ssh_event_remove_session(event.get(), s);
}

}  // namespace sshrelay::gateway
