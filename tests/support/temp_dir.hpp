#pragma once
// A private scratch directory per fixture, so parallel tests (ctest -j) never share files and a failed
// run leaves nothing behind unless asked to.

#include <filesystem>
#include <string>
#include <string_view>

namespace sshrelay::testing {

class TempDir {
 public:
  // mkdtemp("$TMPDIR/<prefix>-XXXXXX"), /tmp when TMPDIR is unset. The directory is 0700. Throws
  // std::runtime_error if it cannot be created.
  explicit TempDir(std::string_view prefix = "sshrelay-test");
  // Removes the tree, unless SSHRELAY_KEEP_TEST_FILES=1, in which case the path is printed to stderr so a
  // person debugging a failure can find the keys, configs and logs.
  ~TempDir();

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Absolute path of an entry inside the directory, as a string (most callers put it in an argv).
  std::string file(std::string_view name) const;

 private:
  void remove_now() noexcept;

  std::filesystem::path path_;
};

}  // namespace sshrelay::testing
