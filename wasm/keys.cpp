#include "wasm/keys.hpp"

#include <libssh/libssh.h>

namespace sshrelay::wasm {
namespace {

std::string take(char* s) {
  std::string out = s != nullptr ? s : "";
  ssh_string_free_char(s);
  return out;
}

// Fills the public fields of `out` from `key` (a private or public key).
bool describe(ssh_key key, const std::string& comment, KeyPair& out) {
  ssh_key pub = nullptr;
  if (ssh_pki_export_privkey_to_pubkey(key, &pub) != SSH_OK) return false;
  char* b64 = nullptr;
  const bool exported = ssh_pki_export_pubkey_base64(pub, &b64) == SSH_OK;
  unsigned char* hash = nullptr;
  size_t hash_len = 0;
  if (exported && ssh_get_publickey_hash(pub, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) == SSH_OK) {
    out.fingerprint = take(ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len));
    ssh_clean_pubkey_hash(&hash);
  }
  if (exported) {
    out.public_key = std::string(ssh_key_type_to_char(ssh_key_type(pub))) + " " + take(b64);
    if (!comment.empty()) out.public_key += " " + comment;
  }
  ssh_key_free(pub);
  return exported && !out.fingerprint.empty();
}

}  // namespace

KeyPair generate_ed25519(const std::string& comment, const std::string& passphrase) {
  KeyPair out;
  ssh_key key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
    out.error = "ed25519 key generation failed";
    return out;
  }
  char* pem = nullptr;
  if (ssh_pki_export_privkey_base64(key, passphrase.empty() ? nullptr : passphrase.c_str(), nullptr, nullptr,
                                    &pem) != SSH_OK) {
    out.error = "could not export the private key";
  } else {
    out.private_key = take(pem);
    if (!describe(key, comment, out)) out.error = "could not export the public key";
  }
  ssh_key_free(key);
  if (!out.error.empty()) out = KeyPair{.error = out.error};
  return out;
}

KeyPair inspect_private_key(const std::string& private_key_text, const std::string& passphrase,
                            const std::string& comment) {
  KeyPair out;
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_base64(private_key_text.c_str(), passphrase.empty() ? nullptr : passphrase.c_str(),
                                    nullptr, nullptr, &key) != SSH_OK) {
    out.error = "could not read the private key (wrong passphrase, or not an OpenSSH/PEM private key)";
    return out;
  }
  if (!describe(key, comment, out)) out = KeyPair{.error = "could not export the public key"};
  ssh_key_free(key);
  return out;
}

}  // namespace sshrelay::wasm
