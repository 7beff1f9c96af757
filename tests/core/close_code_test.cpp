#include "core/wire/close_code.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

// Issue #10 F6: a reason cut at byte 123 could split a character, and an echoed Origin could carry bytes
// that are not UTF-8; browsers then hide the whole reason.
TEST(CloseReason, ShortValidTextIsKept) {
  EXPECT_EQ(close_reason_text("origin https://example.com is not allowed"), "origin https://example.com is not allowed");
  EXPECT_EQ(close_reason_text("Zugriff verweigert: Größe"), "Zugriff verweigert: Größe");
  EXPECT_EQ(close_reason_text(""), "");
  const std::string exactly(kMaxCloseReasonBytes, 'a');
  EXPECT_EQ(close_reason_text(exactly), exactly);
}

TEST(CloseReason, BytesThatAreNotUtf8BecomeQuestionMarks) {
  EXPECT_EQ(close_reason_text("origin http://\xff\xfe.example"), "origin http://??.example");
  EXPECT_EQ(close_reason_text("\xc0\xaf"), "??");              // overlong '/'
  EXPECT_EQ(close_reason_text("\xed\xa0\x80"), "???");         // a UTF-16 surrogate
  EXPECT_EQ(close_reason_text("\xf4\x90\x80\x80"), "????");    // above U+10FFFF
  EXPECT_EQ(close_reason_text("\xe2\x82"), "??");              // truncated euro sign
  EXPECT_EQ(close_reason_text("\xf0\x9f\x94\x91 key"), "\xf0\x9f\x94\x91 key");
}

TEST(CloseReason, LongTextIsCutOnACharacterBoundaryWithAnEllipsis) {
  std::string long_text(121, 'a');
  long_text += "\xc3\xa9\xc3\xa9\xc3\xa9";  // "ééé" straddles byte 123
  const auto cut = close_reason_text(long_text);
  EXPECT_LE(cut.size(), kMaxCloseReasonBytes);
  EXPECT_EQ(cut, std::string(120, 'a') + "...");
  std::string emoji;
  for (int i = 0; i < 40; ++i) emoji += "\xf0\x9f\x94\x91";  // 160 bytes of 4-byte characters
  const auto cut_emoji = close_reason_text(emoji);
  EXPECT_LE(cut_emoji.size(), kMaxCloseReasonBytes);
  EXPECT_EQ(cut_emoji.size() % 4, 3u);  // whole characters, then "..."
  EXPECT_EQ(cut_emoji.substr(cut_emoji.size() - 3), "...");
  EXPECT_EQ(close_reason_text(cut_emoji), cut_emoji);  // already fit: unchanged
}

}  // namespace
}  // namespace sshrelay

namespace sshrelay {
namespace {

TEST(CloseCodeMeaning, EveryCodeTheRelaySendsHasWords) {
  for (std::uint16_t code : {close_code::normal, close_code::protocol_error, close_code::unsupported_data,
                             close_code::too_big, close_code::internal_error, close_code::service_restart,
                             close_code::identity_invalid, close_code::denied, close_code::unknown_session,
                             close_code::session_cap, close_code::dial_failed, close_code::port_pool_exhausted,
                             close_code::going_away, close_code::policy_violation, close_code::unknown_rendezvous,
                             close_code::wrong_token, close_code::slot_taken, close_code::session_expired}) {
    EXPECT_FALSE(close_code_meaning(code).empty()) << code;
  }
  EXPECT_TRUE(close_code_meaning(4999).empty());
  EXPECT_NE(close_code_meaning(4404).find("no longer has the session"), std::string_view::npos);
}

// A refusal before the upgrade answers with the HTTP status of the close code it would have sent.
TEST(CloseCodeHttpStatus, RefusalsBeforeTheUpgradeGetTheMatchingStatus) {
  EXPECT_EQ(http_status_for(close_code::identity_invalid), 401u);
  EXPECT_EQ(http_status_for(close_code::denied), 403u);
  EXPECT_EQ(http_status_for(close_code::unknown_session), 404u);
  EXPECT_EQ(http_status_for(close_code::session_cap), 429u);
  EXPECT_EQ(http_status_for(close_code::internal_error), 500u);
  EXPECT_EQ(http_status_for(close_code::dial_failed), 502u);
  EXPECT_EQ(http_status_for(close_code::port_pool_exhausted), 503u);
  EXPECT_EQ(http_status_for(close_code::service_restart), 503u);
  EXPECT_EQ(http_status_for(close_code::protocol_error), 400u);
  // Rendezvous legs: swsrs's statuses.
  EXPECT_EQ(http_status_for(close_code::unknown_rendezvous), 404u);
  EXPECT_EQ(http_status_for(close_code::wrong_token), 401u);
  EXPECT_EQ(http_status_for(close_code::slot_taken), 409u);
  EXPECT_EQ(http_status_for(close_code::session_expired), 410u);
}

}  // namespace
}  // namespace sshrelay
