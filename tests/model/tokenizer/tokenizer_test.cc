#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/tokenizer/marian_tokenizer.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

using ::testing::HasSubstr;

class TokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tokenizer =
        MarianTokenizer::Load(glossa::testing::FixtureDir("tiny-swish"));
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
  }
  std::unique_ptr<MarianTokenizer> tokenizer_;
};

TEST_F(TokenizerTest, OpusMtSpecialIds) {
  EXPECT_EQ(tokenizer_->eos_id(), 0);
  EXPECT_EQ(tokenizer_->unk_id(), 1);
  EXPECT_EQ(tokenizer_->pad_id(), tokenizer_->vocab_size() - 1);
}

TEST_F(TokenizerTest, EncodeAppendsEosAndRoundTrips) {
  auto ids = tokenizer_->Encode("the software is free");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->back(), tokenizer_->eos_id());
  EXPECT_EQ(tokenizer_->Decode(*ids), "the software is free");
}

TEST_F(TokenizerTest, DecodeDropsSpecialTokens) {
  auto ids = tokenizer_->Encode("free software");
  ASSERT_TRUE(ids.ok());
  std::vector<int> with_specials = {tokenizer_->pad_id()};
  with_specials.insert(with_specials.end(), ids->begin(), ids->end());
  with_specials.push_back(tokenizer_->pad_id());
  EXPECT_EQ(tokenizer_->Decode(with_specials), "free software");
}

TEST_F(TokenizerTest, UnknownLanguageCodeIsOneUnknownToken) {
  auto plain = tokenizer_->Encode("software");
  auto coded = tokenizer_->Encode(">>xyz<< software");
  ASSERT_TRUE(plain.ok() && coded.ok());
  ASSERT_EQ(coded->size(), plain->size() + 1);
  EXPECT_EQ(coded->front(), tokenizer_->unk_id());
}

TEST_F(TokenizerTest, EncodesAnyScript) {
  // UTF-8 is checked before a tokenizer sees text (Engine::CheckSource);
  // every valid text tokenizes.
  EXPECT_TRUE(tokenizer_->Encode("Grüße, 東京 👋").ok());
}

}  // namespace
}  // namespace glossa::model
