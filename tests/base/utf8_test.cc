// The one UTF-8 validator and the one definition of blank text, shared by
// the engine facade, the request parser and the text streamer.
#include "base/utf8.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::base {
namespace {

TEST(Utf8Test, Validation) {
  size_t offset = 0;
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA4 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("ab\xFF", &offset));
  EXPECT_EQ(offset, 2u);
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF", &offset));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80", &offset));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80", &offset));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82", &offset));          // truncated
  EXPECT_EQ(offset, 0u);
  EXPECT_EQ(IncompleteUtf8Suffix("a\xE2\x82"), 2u);
  EXPECT_EQ(IncompleteUtf8Suffix("a\xE2\x82\xAC"), 0u);
  EXPECT_EQ(IncompleteUtf8Suffix("a\xFF"), 0u);  // invalid, not incomplete
  EXPECT_EQ(SanitizeUtf8("a\xFF"), "a\xEF\xBF\xBD");
}

TEST(Utf8Test, CheckUtf8NamesFieldByteAndOffset) {
  EXPECT_TRUE(CheckUtf8("text", "ok \xC3\xA4").ok());
  const absl::Status status = CheckUtf8("segments[1]", "ab\xFF");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "segments[1] is not valid UTF-8 (byte 0xFF at offset 2)");
}

TEST(Utf8Test, BlankIsUnicodeWhiteSpace) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t\r\n"));
  // U+3000 ideographic space, U+00A0 no-break space, U+2003 em space,
  // U+200B zero-width space.
  EXPECT_TRUE(IsBlank("\xE3\x80\x80\xC2\xA0\xE2\x80\x83\xE2\x80\x8B"));
  EXPECT_FALSE(IsBlank(" x "));
  EXPECT_FALSE(IsBlank("\xC2\xA0."));
  EXPECT_FALSE(IsBlank("\xFF"));  // not text at all
}

TEST(Utf8Test, StripBlankKeepsTheTextBetweenBlankCharacters) {
  EXPECT_EQ(StripBlank(""), "");
  EXPECT_EQ(StripBlank(" \t\n"), "");
  EXPECT_EQ(StripBlank("  a b \n"), "a b");
  // No-break space and ideographic space on either side; a view into the
  // argument, so that the caller can keep what was cut.
  const absl::string_view text = "\xC2\xA0Hallo Welt\xE3\x80\x80";
  const absl::string_view core = StripBlank(text);
  EXPECT_EQ(core, "Hallo Welt");
  EXPECT_EQ(core.data() - text.data(), 2);
  // Invalid bytes are text, not blank.
  EXPECT_EQ(StripBlank(" \xFF "), "\xFF");
}

TEST(Utf8Test, ShortForMessageBoundsWhatAMessageEchoes) {
  EXPECT_EQ(ShortForMessage("de-en"), "de-en");
  const std::string huge(100000, 'a');
  const std::string short_form = ShortForMessage(huge);
  EXPECT_EQ(short_form, std::string(64, 'a') + "... (100000 bytes)");
  // Never half a character: 30 two-byte characters, cut at 7 bytes.
  std::string umlauts;
  for (int i = 0; i < 30; ++i) umlauts += "\xC3\xA4";
  const std::string cut = ShortForMessage(umlauts, 7);
  EXPECT_EQ(cut, "\xC3\xA4\xC3\xA4\xC3\xA4... (60 bytes)");
  EXPECT_TRUE(IsValidUtf8(cut));
  // Invalid bytes are not echoed as they are.
  EXPECT_TRUE(IsValidUtf8(ShortForMessage("a\xFF")));
}

}  // namespace
}  // namespace glossa::base
