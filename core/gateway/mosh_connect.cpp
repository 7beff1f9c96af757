#include "core/gateway/mosh_connect.hpp"

#include <vector>

#include "core/common/quote.hpp"
#include "core/common/text.hpp"
#include "core/policy/target.hpp"

namespace sshrelay::gateway {
namespace {

constexpr std::string_view kBlanks = " \t\v\f\r";

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    const auto start = line.find_first_not_of(kBlanks);
    if (start == std::string_view::npos) return out;
    line.remove_prefix(start);
    const auto end = line.find_first_of(kBlanks);
    out.push_back(line.substr(0, end));
    if (end == std::string_view::npos) return out;
    line.remove_prefix(end);
  }
}

bool is_base64_key(std::string_view key) {
  // Loosely: mosh prints 22 characters without padding; accept any length and trailing '=' padding.
  while (!key.empty() && key.back() == '=') key.remove_suffix(1);
  if (key.empty()) return false;
  for (const char c : key) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '+' && c != '/') return false;
  }
  return true;
}

// Up to kMoshOutputQuoted bytes of the remote's output for a message shown in the user's terminal: kept
// readable over several lines, but no escape sequence of the remote's reaches the terminal.
std::string excerpt(std::string_view output) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : output.substr(0, kMoshOutputQuoted)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else if (c == '\n' || c == '\t') {
      out += c;
    } else if (c != '\r') {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  if (output.size() > kMoshOutputQuoted) out += "...";
  return out;
}

bool shell_safe(std::string_view word) {
  if (word.empty()) return false;
  for (const char c : word) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("._-=@:/,+").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

std::string mosh_server_command(std::string_view locale) {
  std::string quoted;
  if (shell_safe(locale)) {
    quoted = locale;
  } else {
    quoted = "'";
    for (const char c : locale) {
      if (c == '\'') quoted += "'\\''";
      else quoted += c;
    }
    quoted += "'";
  }
  return "mosh-server new -s -c 256 -l " + quoted;
}

Result<MoshConnect> parse_mosh_connect(std::string_view output) {
  std::string_view rest = output;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    const auto line = trim_space(rest.substr(0, newline));
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    if (!line.starts_with("MOSH CONNECT")) continue;
    const auto words = fields(line);
    if (words.size() < 4) continue;
    auto port = parse_port(words[2]);
    if (!port) {
      return protocol_error("mosh-server's MOSH CONNECT line gives port " + quote(words[2]) +
                            ", not a UDP port (1-65535)");
    }
    if (!is_base64_key(words[3])) {
      return protocol_error("mosh-server's MOSH CONNECT line gives a key that is not base64 (" +
                            std::to_string(words[3].size()) + " characters)");
    }
    return MoshConnect{*port, std::string(words[3])};
  }
  const std::string message = "Could not parse 'MOSH CONNECT' from server output:";
  if (trim_space(output).empty()) return protocol_error(message + " (no output)");
  std::string hint;
  if (output.find("not found") != std::string_view::npos) {
    hint = "\n(is mosh-server installed on the remote host, on the PATH of a non-interactive login?)";
  }
  return protocol_error(message + "\n" + excerpt(output) + hint);
}

std::string mosh_session_command(std::string_view server_command, std::string_view exit_file) {
  return std::string(server_command) + " -- /bin/sh -c '\"${SHELL:-/bin/sh}\" -l; echo $? > \"$HOME/" + std::string(exit_file) + "\"'";
}

std::string exit_status_command(std::string_view exit_file) {
  const std::string path = "\"$HOME/" + std::string(exit_file) + "\"";
  return "cat " + path + " && rm -f " + path;
}

std::optional<int> parse_exit_status(std::string_view text) {
  int value = 0;
  if (!parse_decimal(trim_space(text), value) || value < 0 || value > 255) return std::nullopt;
  return value;
}

}  // namespace sshrelay::gateway
