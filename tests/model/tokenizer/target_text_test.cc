// The tokenizer seams that controlled decoding and alignments stand on, for
// every family's tokenizer: target text written as the ids the model
// generates (EncodeTarget), and the byte range of the source text each
// encoded id covers (EncodeSpans, through Engine::SourceSpans).
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/engine.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

class TargetTextTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto engine = Engine::Load(glossa::testing::FixtureDir(GetParam()));
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }
  const Tokenizer& tokenizer() const { return engine_->tokenizer(); }
  std::shared_ptr<const Engine> engine_;
};

// Words every fixture's vocabulary spells (its pieces cover ASCII letters).
constexpr char kText[] = "the house is small";

TEST_P(TargetTextTest, TargetTextDecodesBackToItself) {
  for (const auto place :
       {Tokenizer::TargetPlace::kStart, Tokenizer::TargetPlace::kWithin}) {
    auto ids = tokenizer().EncodeTarget(kText, place);
    ASSERT_TRUE(ids.ok()) << ids.status();
    ASSERT_FALSE(ids->empty());
    for (const int id : *ids) {
      EXPECT_NE(id, tokenizer().eos_id());
      EXPECT_GE(id, 0);
      EXPECT_LT(id, engine_->config().vocab_size);
    }
    // A word inside a sentence keeps its leading space where the
    // tokenizer's decoding shows it (byte-level BPE).
    const std::string decoded = tokenizer().Decode(*ids);
    EXPECT_EQ(place == Tokenizer::TargetPlace::kStart
                  ? decoded
                  : std::string(absl::StripLeadingAsciiWhitespace(decoded)),
              kText);
  }
}

TEST_P(TargetTextTest, SourceSpansCoverTheTextInOrder) {
  const std::string text = "the house, is small.";
  auto ids = tokenizer().Encode(text);
  ASSERT_TRUE(ids.ok());
  auto spans = engine_->SourceSpans(text, LanguageChoice());
  ASSERT_TRUE(spans.ok()) << spans.status();
  ASSERT_EQ(spans->size(), ids->size());
  std::string covered;
  int previous_end = 0;
  for (const TokenSpan& span : *spans) {
    ASSERT_LE(0, span.begin);
    ASSERT_LE(span.begin, span.end);
    ASSERT_LE(span.end, static_cast<int>(text.size()));
    EXPECT_GE(span.begin, previous_end);
    previous_end = span.end;
    covered += text.substr(span.begin, span.end - span.begin);
  }
  // Every byte but the spaces between words belongs to a token.
  std::string letters;
  for (const char c : text) {
    if (c != ' ') letters += c;
  }
  EXPECT_EQ(covered, letters);
  // The end-of-sentence token covers nothing.
  EXPECT_EQ(spans->back().begin, spans->back().end);
}

TEST_P(TargetTextTest, TargetSpansSplitTheDecodedText) {
  auto ids = tokenizer().EncodeTarget(kText, Tokenizer::TargetPlace::kStart);
  ASSERT_TRUE(ids.ok());
  const std::string decoded = tokenizer().Decode(*ids);
  const std::vector<TokenSpan> spans = engine_->TargetSpans(*ids);
  ASSERT_EQ(spans.size(), ids->size());
  std::string covered;
  for (const TokenSpan& span : spans) {
    ASSERT_LE(span.begin, span.end);
    ASSERT_LE(span.end, static_cast<int>(decoded.size()));
    covered += decoded.substr(span.begin, span.end - span.begin);
  }
  std::string letters;
  for (const char c : decoded) {
    if (c != ' ') letters += c;
  }
  EXPECT_EQ(covered, letters);
}

INSTANTIATE_TEST_SUITE_P(Families, TargetTextTest,
                         ::testing::Values("tiny-swish", "tiny-nllb",
                                           "tiny-m2m100", "tiny-mbart50",
                                           "tiny-t5", "tiny-bart"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace glossa::model
