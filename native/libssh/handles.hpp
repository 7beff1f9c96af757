#pragma once
// libssh's C handles as owners: each frees its handle once, whatever path leaves the scope.
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <memory>

namespace sshrelay::libssh {

struct SshKeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
struct SshSessionFree {
  void operator()(ssh_session session) const {
    ssh_disconnect(session);
    ssh_free(session);
  }
};
struct SshBindFree {
  void operator()(ssh_bind bind) const { ssh_bind_free(bind); }
};
struct SshMessageFree {
  void operator()(ssh_message message) const { ssh_message_free(message); }
};
struct SshEventFree {
  void operator()(ssh_event event) const { ssh_event_free(event); }
};

using SshKey = std::unique_ptr<std::remove_pointer_t<ssh_key>, SshKeyFree>;
using SshSession = std::unique_ptr<std::remove_pointer_t<ssh_session>, SshSessionFree>;
using SshBind = std::unique_ptr<std::remove_pointer_t<ssh_bind>, SshBindFree>;
using SshMessage = std::unique_ptr<std::remove_pointer_t<ssh_message>, SshMessageFree>;
using SshEvent = std::unique_ptr<std::remove_pointer_t<ssh_event>, SshEventFree>;

}  // namespace sshrelay::libssh
