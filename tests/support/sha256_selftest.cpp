// Digest and random-file helpers: known vectors, determinism, and the speed the bulk tests rely on.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::testing {
namespace {

TEST(Sha256, KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(sha256_hex(std::string_view("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string_view("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::vector<std::uint8_t> abc = {'a', 'b', 'c'};
  EXPECT_EQ(sha256_hex(std::span<const std::uint8_t>(abc)), sha256_hex(std::string_view("abc")));
}

TEST(Sha256, FileDigestMatchesInMemoryDigest) {
  TempDir dir("sshrelay-selftest");
  // More than one 1 MiB read chunk, and not a multiple of it.
  std::string content;
  for (int i = 0; i < 300000; ++i) content += std::to_string(i) + ",";
  write_file(dir.file("f"), content);
  EXPECT_EQ(sha256_file_hex(dir.file("f")), sha256_hex(std::string_view(content)));
  EXPECT_THROW(sha256_file_hex(dir.file("missing")), std::runtime_error);
}

TEST(RandomFile, DeterministicExactSizeAndSeedDependent) {
  TempDir dir("sshrelay-selftest");
  const std::uint64_t size = (1u << 20) + 13;  // crosses a chunk boundary, ends mid-word
  write_random_file(dir.file("a"), size, 42);
  write_random_file(dir.file("b"), size, 42);
  write_random_file(dir.file("c"), size, 43);
  EXPECT_EQ(std::filesystem::file_size(dir.file("a")), size);
  EXPECT_EQ(sha256_file_hex(dir.file("a")), sha256_file_hex(dir.file("b")));
  EXPECT_NE(sha256_file_hex(dir.file("a")), sha256_file_hex(dir.file("c")));
  // A prefix of a longer file from the same seed: the stream does not depend on the size asked for.
  write_random_file(dir.file("short"), 8, 42);
  EXPECT_EQ(read_file(dir.file("short")), read_file(dir.file("a")).substr(0, 8));
  write_random_file(dir.file("empty"), 0, 42);
  EXPECT_EQ(std::filesystem::file_size(dir.file("empty")), 0u);
}

TEST(RandomFile, SixtyFourMebibytesQuickly) {
  TempDir dir("sshrelay-selftest");
  const auto start = std::chrono::steady_clock::now();
  write_random_file(dir.file("big"), 64u << 20, 7);
  const auto written = std::chrono::steady_clock::now();
  const std::string digest = sha256_file_hex(dir.file("big"));
  const auto hashed = std::chrono::steady_clock::now();
  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::printf("64 MiB: write %lld ms, sha256 %lld ms\n", static_cast<long long>(ms(written - start)),
              static_cast<long long>(ms(hashed - written)));
  EXPECT_EQ(std::filesystem::file_size(dir.file("big")), 64u << 20);
  EXPECT_EQ(digest.size(), 64u);
  // Loose bound (sanitizer builds on a shared 2-core machine); it catches a pathological slowdown, the
  // printout above shows the real figure.
  EXPECT_LT(written - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace sshrelay::testing
