#include "native/cli/credentials_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sshrelay::cli {
namespace {

constexpr std::size_t kMaxCredentialsBytes = 256 * 1024;

std::string errno_text() { return std::strerror(errno); }

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// mkdir -p, each new folder 0700.
Status make_private_dirs(const std::string& dir) {
  if (dir.empty() || dir == "." || dir == "/") return Ok{};
  struct stat st{};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return local_error(dir + " is not a folder");
    return Ok{};
  }
  if (auto parent = make_private_dirs(parent_of(dir)); !parent) return parent;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return local_error("cannot create " + dir + ": " + errno_text());
  return Ok{};
}

}  // namespace

std::string default_credentials_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/') {
    return std::string(xdg) + "/sshrelay/credentials.json";
  }
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.config/sshrelay/credentials.json";
  return {};
}

Result<std::optional<CachedCredentials>> load_credentials(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<CachedCredentials>{};
    return local_error("cannot read the credentials file " + path + ": " + errno_text());
  }
  std::string text(kMaxCredentialsBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxCredentialsBytes) return local_error("the credentials file " + path + " is over 256 KiB");
  auto parsed = parse_cached_credentials(text);
  if (!parsed) {
    return local_error("the credentials file " + path + " is unusable (" + parsed.error().message +
                       "); run 'sshrelay auth' again");
  }
  return std::optional<CachedCredentials>(std::move(*parsed));
}

Status save_credentials(const std::string& path, const CachedCredentials& credentials) {
  if (auto dirs = make_private_dirs(parent_of(path)); !dirs) return local_error("cannot save credentials: " + dirs.error().message);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return local_error("cannot write " + temp + ": " + errno_text());
  const std::string text = credentials_to_json(credentials);
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const auto why = errno_text();
      ::close(fd);
      ::unlink(temp.c_str());
      return local_error("cannot write " + temp + ": " + why);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const auto why = errno_text();
    ::unlink(temp.c_str());
    return local_error("cannot write " + temp + ": " + why);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const auto why = errno_text();
    ::unlink(temp.c_str());
    return local_error("cannot replace " + path + ": " + why);
  }
  return Ok{};
}

Result<bool> remove_credentials(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return local_error("cannot remove " + path + ": " + errno_text());
}

}  // namespace sshrelay::cli
