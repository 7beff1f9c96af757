#include "core/common/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/core/test_text.hpp"

namespace sshrelay {
namespace {

using testing::bytes;

// RFC 4648 §10 test vectors, padding removed.
TEST(Base64Url, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(std::string_view("")), "");
  EXPECT_EQ(base64url_encode(std::string_view("f")), "Zg");
  EXPECT_EQ(base64url_encode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64url_encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64url_encode(std::string_view("foob")), "Zm9vYg");
  EXPECT_EQ(base64url_encode(std::string_view("fooba")), "Zm9vYmE");
  EXPECT_EQ(base64url_encode(std::string_view("foobar")), "Zm9vYmFy");
}

TEST(Base64Url, UsesUrlAlphabetForLastTwoSymbols) {
  const std::vector<std::uint8_t> data{0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64url_encode(data), "-_-_");
  const auto decoded = base64url_decode("-_-_");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, data);
}

TEST(Base64Url, DecodesRfc4648Vectors) {
  for (const std::string_view text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const auto decoded = base64url_decode(base64url_encode(text));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, bytes(text));
  }
}

TEST(Base64Url, RoundTripsEveryByteValueAndLength) {
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 300; ++i) {
    const auto encoded = base64url_encode(data);
    EXPECT_EQ(encoded.find('='), std::string::npos);
    const auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, data);
    data.push_back(static_cast<std::uint8_t>(i * 7 + 3));
  }
}

TEST(Base64Url, EncodesJwtHeader) {
  // The header of RFC 7515 appendix A.1 (its exact bytes, including the CRLFs).
  EXPECT_EQ(base64url_encode(std::string_view("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}")),
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

TEST(Base64Url, RejectsInvalidCharacters) {
  for (const std::string_view text : {"Zm+v", "Zm/v", "Zm9v Yg", "Zm9v\n", "Zm.v"}) {
    const auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().kind, ErrorKind::remote_protocol);
    EXPECT_NE(decoded.error().message.find("invalid character"), std::string::npos) << decoded.error().message;
  }
  EXPECT_EQ(base64url_decode("Zm+v").error().message, "base64url text has invalid character '+' at offset 2");
  EXPECT_EQ(base64url_decode("Zm9v\n").error().message, "base64url text has invalid character byte 0x0a at offset 4");
}

TEST(Base64Url, RejectsPadding) {
  const auto decoded = base64url_decode("Zg==");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message, "base64url text has '=' padding at offset 2; only unpadded base64url is accepted");
}

TEST(Base64Url, RejectsImpossibleLength) {
  for (const std::string_view text : {"Z", "Zm9vY", "Zm9vYmFyZ"}) {
    const auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_NE(decoded.error().message.find("impossible length"), std::string::npos) << decoded.error().message;
  }
}

TEST(Base64Url, RejectsNonZeroTrailingBits) {
  // "Zg" is canonical for "f"; "Zh" carries the same byte plus a stray low bit.
  const auto decoded = base64url_decode("Zh");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message, "base64url text has non-zero trailing bits in its last character 'h'");
  EXPECT_FALSE(base64url_decode("Zm9").ok());
  EXPECT_TRUE(base64url_decode("Zm8").ok());
}

TEST(Base64Url, ClassifiesAlphabet) {
  EXPECT_TRUE(is_base64url_char('A'));
  EXPECT_TRUE(is_base64url_char('z'));
  EXPECT_TRUE(is_base64url_char('9'));
  EXPECT_TRUE(is_base64url_char('-'));
  EXPECT_TRUE(is_base64url_char('_'));
  EXPECT_FALSE(is_base64url_char('+'));
  EXPECT_FALSE(is_base64url_char('/'));
  EXPECT_FALSE(is_base64url_char('='));
  EXPECT_FALSE(is_base64url_char('\0'));
  EXPECT_FALSE(is_base64url_char(static_cast<char>(0xc3)));
}

// The standard alphabet, padded (RFC 4648 §4): wsproxy's tunnel bodies (Go's StdEncoding).
TEST(Base64, EncodesAndDecodesRfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.error().message;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
  const std::vector<std::uint8_t> high = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64_encode(high), "+/+/");
  EXPECT_EQ(*base64_decode("+/+/"), high);
}

TEST(Base64, RoundTripsEveryLength) {
  std::vector<std::uint8_t> bytes;
  for (int n = 0; n < 300; ++n) {
    const auto encoded = base64_encode(bytes);
    EXPECT_EQ(encoded.size() % 4, 0u);
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<std::uint8_t>(n * 7 + 3));
  }
}

TEST(Base64, IsStrict) {
  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"Zg", "not a multiple of 4"}, {"Zg=", "not a multiple of 4"}, {"Z===", "'=' inside it"}, {"Zg=a", "'=' inside it"},
           {"Zm-v", "invalid character '-'"}, {"Zm9v\n", "not a multiple of 4"}, {"Zh==", "non-zero trailing bits"}}) {
    const auto decoded = base64_decode(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_NE(decoded.error().message.find(why), std::string::npos) << text << ": " << decoded.error().message;
    EXPECT_EQ(decoded.error().message.rfind("base64 text", 0), 0u) << decoded.error().message;
  }
}

}  // namespace
}  // namespace sshrelay
