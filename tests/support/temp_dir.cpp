#include "tests/support/temp_dir.hpp"

#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace sshrelay::testing {
namespace {

bool keep_test_files() {
  const char* keep = std::getenv("SSHRELAY_KEEP_TEST_FILES");
  return keep != nullptr && std::string_view(keep) == "1";
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = (tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp";
  std::string pattern = base + "/" + std::string(prefix) + "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr)
    throw std::runtime_error("mkdtemp(" + pattern + ") failed: " + std::strerror(errno));
  // Absolute, so paths handed to sshd (which chdirs to /) and to other processes stay valid.
  path_ = std::filesystem::absolute(buffer.data());
}

TempDir::~TempDir() { remove_now(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove_now();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

std::string TempDir::file(std::string_view name) const { return (path_ / name).string(); }

void TempDir::remove_now() noexcept {
  if (path_.empty()) return;
  if (keep_test_files()) {
    std::fprintf(stderr, "[sshrelay test support] keeping %s (SSHRELAY_KEEP_TEST_FILES=1)\n",
                 path_.c_str());
  } else {
    // Error-code overload: a destructor must not throw, and a leftover temp dir is not worth a crash.
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec)
      std::fprintf(stderr, "[sshrelay test support] could not remove %s: %s\n", path_.c_str(),
                   ec.message().c_str());
  }
  path_.clear();
}

}  // namespace sshrelay::testing
