#pragma once
// Key material made or read in the browser. Private keys never leave it (design.md §7).
#include <string>

namespace sshrelay::wasm {

struct KeyPair {
  std::string private_key;  // "-----BEGIN OPENSSH PRIVATE KEY-----..." (encrypted if a passphrase was given)
  std::string public_key;   // "ssh-ed25519 AAAA... comment", one authorized_keys line
  std::string fingerprint;  // "SHA256:..."
  std::string error;        // non-empty on failure; the other fields are then empty
};

KeyPair generate_ed25519(const std::string& comment, const std::string& passphrase);

// Reads a private key (OpenSSH or PEM text) and returns its public half; private_key stays empty.
KeyPair inspect_private_key(const std::string& private_key_text, const std::string& passphrase,
                            const std::string& comment);

}  // namespace sshrelay::wasm
