// Document on plain text: ICU's sentences, every byte outside them kept,
// the limits and their messages, and Render's checks.
#include "server/documents/document.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/documents/document_test_util.h"

namespace glossa::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using ::testing::IsEmpty;

Document ParseText(absl::string_view text, absl::string_view language = "en",
                   DocumentLimits limits = {}) {
  absl::StatusOr<Document> document =
      Document::Parse(text, DocumentFormat::kText, language, limits);
  EXPECT_TRUE(document.ok()) << document.status();
  return *std::move(document);
}

TEST(DocumentTest, EnglishSentencesFollowIcuAndItsAbbreviations) {
  // "Mr." is on ICU's English list, so it ends no sentence; "e.g." before
  // a lower-case word never does.
  const Document document = ParseText(
      "Mr. Smith met Mrs. Jones at noon. They talked, e.g. about cats! "
      "Did it rain? Yes.");
  EXPECT_THAT(
      document.sentences(),
      ElementsAre("Mr. Smith met Mrs. Jones at noon.",
                  "They talked, e.g. about cats!", "Did it rain?", "Yes."));
}

TEST(DocumentTest, GermanSentencesKeepDrAndOrdinalsTogether) {
  const Document document = ParseText(
      "Dr. Müller kam gestern. Er brachte Käse mit, z.B. Gouda. Danke!", "de");
  EXPECT_THAT(document.sentences(),
              ElementsAre("Dr. Müller kam gestern.",
                          "Er brachte Käse mit, z.B. Gouda.", "Danke!"));
}

TEST(DocumentTest, LanguageTagsAndIcuIdsAreRead) {
  for (const char* language : {"", "en-GB", "de_CH", "zh-Hant", "deu_Latn"}) {
    EXPECT_TRUE(
        Document::Parse("Eins. Zwei.", DocumentFormat::kText, language, {})
            .ok())
        << language;
  }
  const absl::Status bad =
      Document::Parse("Eins.", DocumentFormat::kText, "!!", {}).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("language \"!!\""));
}

TEST(DocumentTest, OffsetsAreBytesEvenAfterWideCharacters) {
  // 4-byte and 3-byte characters before the boundary: a UTF-16 offset
  // used as a byte offset would cut them.
  const Document document =
      ParseText("😀 Ünïcödé ist schön. 你好。 Ende.", "de");
  EXPECT_THAT(document.sentences(),
              ElementsAre("😀 Ünïcödé ist schön.", "你好。", "Ende."));
}

TEST(DocumentTest, PlainTextKeepsEveryByteOutsideTheSentences) {
  const std::string text =
      "  Indented first. Second one here!\n\n"
      "\tTabbed line, trailing spaces.   \r\n"
      "\n\n   \n"
      "    - a list item\n"
      "    - another item\n"
      "Last line without a newline";
  const Document document = ParseText(text);
  EXPECT_THAT(document.sentences(),
              ElementsAre("Indented first.", "Second one here!",
                          "Tabbed line, trailing spaces.", "- a list item",
                          "- another item", "Last line without a newline"));
  EXPECT_EQ(*document.Render(Identity(document)), text);
  std::vector<SentenceTranslation> upper;
  for (const std::string& sentence : document.sentences()) {
    upper.push_back({"<" + sentence + ">", {}});  // no escaping in text
  }
  EXPECT_EQ(*document.Render(upper),
            "  <Indented first.> <Second one here!>\n\n"
            "\t<Tabbed line, trailing spaces.>   \r\n"
            "\n\n   \n"
            "    <- a list item>\n"
            "    <- another item>\n"
            "<Last line without a newline>");
}

TEST(DocumentTest, BlankInputHasNoSentencesAndRendersUnchanged) {
  for (const std::string text :
       {"", " ", "\n\n\t  \r\n", "\xC2\xA0\xE3\x80\x80\n"}) {
    const Document document = ParseText(text);
    EXPECT_THAT(document.sentences(), IsEmpty());
    EXPECT_EQ(*document.Render({}), text);
  }
}

TEST(DocumentTest, LimitsGiveActionableMessages) {
  DocumentLimits limits;
  limits.max_bytes = 10;
  absl::Status status =
      Document::Parse("This is too long.", DocumentFormat::kText, "en", limits)
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "document is 17 bytes; the limit is 10");

  limits = DocumentLimits();
  limits.max_sentences = 2;
  status =
      Document::Parse("One. Two. Three.", DocumentFormat::kHtml, "en", limits)
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("document has more than 2 sentences, the limit"));
  EXPECT_TRUE(
      Document::Parse("One. Two.", DocumentFormat::kText, "en", limits).ok());

  status =
      Document::Parse("ok \xFF\xFE", DocumentFormat::kText, "en", {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "document is not valid UTF-8 (byte 0xFF at offset 3)");

  limits = DocumentLimits();
  limits.max_sentences = 0;
  EXPECT_EQ(
      Document::Parse("x", DocumentFormat::kText, "en", limits).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(DocumentTest, RenderChecksWhatItIsGiven) {
  const Document document = ParseText("One. Two.");
  absl::Status status = document.Render({{"Eins.", {}}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "got 1 translations for 2 sentences; give one each");
  status = document.Render({{"Eins.", {}}, {"\xC3", {}}}).status();
  EXPECT_EQ(status.message(),
            "translation 1 is not valid UTF-8 (byte 0xC3 at offset 0)");

  // HTML reads alignments where there is markup, and checks them.
  absl::StatusOr<Document> html =
      Document::Parse("<p>A <b>b</b> c.</p>", DocumentFormat::kHtml, "en", {});
  ASSERT_TRUE(html.ok());
  status = html->Render({{"x y", {{0, 9, 0, 1}}}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "translation 0: alignment link 0 has target range [0, 9), "
            "outside the translation's 3 bytes");
  status = html->Render({{"x y", {{0, 1, 2, 40}}}}).status();
  EXPECT_THAT(status.message(), HasSubstr("source range [2, 40), outside the "
                                          "sentence's 6 bytes"));
}

TEST(DocumentTest, CopiesShareTheParsedDocument) {
  const Document document = ParseText("One. Two.");
  const Document copy = document;
  EXPECT_EQ(copy.sentences(), document.sentences());
  EXPECT_EQ(*copy.Render(Identity(copy)), "One. Two.");
}

}  // namespace
}  // namespace glossa::server
