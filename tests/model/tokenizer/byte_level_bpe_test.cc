#include "model/tokenizer/byte_level_bpe.h"

#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/tokenizer/bart_tokenizer.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

using ::testing::HasSubstr;

// tokenizer_vectors.json: what tools/reference/byte_level_bpe.py (an
// independent implementation) computes with the fixture's files.
class ByteLevelBpeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = glossa::testing::FixtureDir("bart-tokenizer");
    auto tokenizer = BartTokenizer::Load(dir_);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
    auto bpe = ByteLevelBpe::Load(dir_ + "/vocab.json", dir_ + "/merges.txt");
    ASSERT_TRUE(bpe.ok()) << bpe.status();
    bpe_ = std::move(*bpe);
    vectors_ = nlohmann::json::parse(
        glossa::testing::ReadFile(dir_ + "/tokenizer_vectors.json"));
  }
  std::string dir_;
  std::unique_ptr<BartTokenizer> tokenizer_;
  std::unique_ptr<ByteLevelBpe> bpe_;
  nlohmann::json vectors_;
};

TEST_F(ByteLevelBpeTest, VocabularyAndSpecialIds) {
  // Every entry but <mask>, the last, which Encode never produces (and
  // bart-large-cnn's config counts no embedding row for).
  const int entries = vectors_["vocab_size"].get<int>();
  EXPECT_EQ(bpe_->IdOf("<mask>"), entries - 1);
  EXPECT_EQ(tokenizer_->vocab_size(), entries - 1);
  auto ids = tokenizer_->Encode("<mask> and <s>");
  ASSERT_TRUE(ids.ok());
  for (int id : *ids) EXPECT_LT(id, entries - 1);
  EXPECT_EQ(tokenizer_->pad_id(), 1);
  EXPECT_EQ(tokenizer_->eos_id(), 2);
}

TEST_F(ByteLevelBpeTest, WordsMatchTheReference) {
  for (const auto& v : vectors_["vectors"]) {
    const std::string text = v["text"];
    auto words = bpe_->SplitWords(text);
    ASSERT_TRUE(words.ok()) << words.status();
    EXPECT_EQ(*words, v["words"].get<std::vector<std::string>>()) << text;
  }
}

TEST_F(ByteLevelBpeTest, IdsMatchTheReference) {
  ASSERT_GE(vectors_["vectors"].size(), 15u);
  for (const auto& v : vectors_["vectors"]) {
    const std::string text = v["text"];
    auto ids = tokenizer_->Encode(text);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, v["ids"].get<std::vector<int>>()) << text;
  }
}

TEST_F(ByteLevelBpeTest, DecodeMatchesTheReference) {
  for (const auto& v : vectors_["vectors"]) {
    EXPECT_EQ(tokenizer_->Decode(v["ids"].get<std::vector<int>>()),
              v["decoded"].get<std::string>())
        << v["text"];
  }
}

TEST_F(ByteLevelBpeTest, ByteLevelRoundTripKeepsEveryByte) {
  // Without clean-up, decode(encode(x)) == x for any valid UTF-8: every
  // byte has a symbol.
  const std::string text = "  x\t\n🙂 東京  'LL ?? e\xCC\x81 \x01 ";
  auto ids = bpe_->Encode(text, 3);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(bpe_->DecodeBytes(*ids, {}), text);
}

TEST_F(ByteLevelBpeTest, PartialCharacterDecodesToReplacement) {
  auto ids = tokenizer_->Encode("🙂");
  ASSERT_TRUE(ids.ok());
  // <s>, the emoji's 4 bytes (not merged in this vocabulary), </s>.
  ASSERT_GE(ids->size(), 4u);
  const std::vector<int> head(ids->begin(), ids->begin() + 2);
  EXPECT_EQ(tokenizer_->Decode(head), "\xEF\xBF\xBD");
  EXPECT_EQ(tokenizer_->Decode(*ids), "🙂");
}

TEST_F(ByteLevelBpeTest, LongWordMerges) {
  // One 20,000-letter word: the heap merge keeps this fast (GPT-2's loop
  // is quadratic in the word's length).
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "free";
  auto ids = tokenizer_->Encode(text);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(tokenizer_->Decode(*ids), text);
  // The reference gives "free" the same two pieces at every repetition
  // (tools/reference/byte_level_bpe.py on "free" * 500).
  auto one = tokenizer_->Encode("free");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 4u);
  ASSERT_EQ(ids->size(), 2u + 5000 * 2);
  for (size_t i = 1; i + 1 < ids->size(); i += 2) {
    ASSERT_EQ((*ids)[i], (*one)[1]) << i;
    ASSERT_EQ((*ids)[i + 1], (*one)[2]) << i;
  }
}

TEST_F(ByteLevelBpeTest, LongRunsOfEveryClassAreCovered) {
  // A megabyte of one character class each: the regex engine's loops must
  // neither fail nor drop text.
  for (const char* unit : {"a", "7", " ", "!", "\xC3\xA9", "\t"}) {
    std::string text;
    while (text.size() < (1 << 20)) text += unit;
    text += "x";
    auto words = bpe_->SplitWords(text);
    ASSERT_TRUE(words.ok()) << words.status();
    size_t bytes = 0;
    for (const std::string& word : *words) bytes += word.size();
    EXPECT_EQ(bytes, text.size());
  }
}

TEST(ByteLevelBpeLoadTest, MissingFilesAreNamed) {
  const std::string dir = glossa::testing::MakeTempDir();
  glossa::testing::WriteFile(dir + "/vocab.json", "{\"<s>\": 0}");
  auto tokenizer = BartTokenizer::Load(dir);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_THAT(tokenizer.status().message(), HasSubstr("merges.txt"));
  EXPECT_THAT(tokenizer.status().message(), HasSubstr(dir));
}

TEST(ByteLevelBpeLoadTest, MalformedMergeLineIsNamed) {
  const std::string dir = glossa::testing::MakeTempDir();
  glossa::testing::WriteFile(dir + "/vocab.json", "{\"<s>\": 0}");
  glossa::testing::WriteFile(dir + "/merges.txt", "#version: 0.2\na b\nabc\n");
  auto bpe = ByteLevelBpe::Load(dir + "/vocab.json", dir + "/merges.txt");
  ASSERT_FALSE(bpe.ok());
  EXPECT_THAT(bpe.status().message(), HasSubstr("merges.txt: line 3"));
}

TEST(ByteLevelBpeLoadTest, MissingSpecialTokenIsNamed) {
  const std::string dir = glossa::testing::MakeTempDir();
  glossa::testing::WriteFile(dir + "/vocab.json",
                             "{\"<s>\": 0, \"<pad>\": 1, \"a\": 2}");
  glossa::testing::WriteFile(dir + "/merges.txt", "a a\n");
  auto tokenizer = BartTokenizer::Load(dir);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_THAT(tokenizer.status().message(), HasSubstr("</s>"));
}

}  // namespace
}  // namespace glossa::model
