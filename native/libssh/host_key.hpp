#pragma once
// A server's host key (an SSH-Web site's, the gateway's): the file at the configured path, or a new
// ed25519 key written there (0600, its folder 0700) when there is none yet, as sshttpd and the MOSH
// gateway do.
#include <string>

#include "core/common/result.hpp"
#include "native/libssh/handles.hpp"

namespace sshrelay::libssh {

struct HostKey {
  SshKey key;
  std::string fingerprint;  // "SHA256:…", for the log
  bool created = false;
};

Result<HostKey> load_or_create_host_key(const std::string& path);
// "SHA256:<base64>" of a public key, as OpenSSH prints it; empty on failure.
std::string key_fingerprint(ssh_key key);

}  // namespace sshrelay::libssh
