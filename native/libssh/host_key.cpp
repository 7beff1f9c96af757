#include "native/libssh/host_key.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace sshrelay::libssh {

std::string key_fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) return "";
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (!text) return "";
  std::string out(text);
  ssh_string_free_char(text);
  return out;
}

Result<HostKey> load_or_create_host_key(const std::string& path) {
  HostKey out;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
      return local_error("host-key " + path + ": not a private key libssh can read (OpenSSH or PEM format, no passphrase)");
    }
    out.key.reset(key);
  } else {
    const auto folder = std::filesystem::path(path).parent_path();
    if (!folder.empty() && !std::filesystem::exists(folder, ec)) {
      std::filesystem::create_directories(folder, ec);
      if (ec) return local_error("host-key " + path + ": cannot create " + folder.string() + ": " + ec.message());
      ::chmod(folder.c_str(), 0700);
    }
    ssh_key key = nullptr;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) return local_error("host-key: ed25519 key generation failed");
    out.key.reset(key);
    const auto old_mask = ::umask(077);
    const int written = ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, path.c_str());
    ::umask(old_mask);
    if (written != SSH_OK) return local_error("host-key " + path + ": cannot write the new key");
    ::chmod(path.c_str(), 0600);
    out.created = true;
  }
  out.fingerprint = key_fingerprint(out.key.get());
  return out;
}

}  // namespace sshrelay::libssh
