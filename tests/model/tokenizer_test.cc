#include "model/tokenizer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

using ::testing::HasSubstr;

class TokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tokenizer = Tokenizer::Load(glossa::testing::FixtureDir("tiny-swish"));
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
  }
  std::unique_ptr<Tokenizer> tokenizer_;
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

TEST_F(TokenizerTest, RejectsInvalidUtf8) {
  for (const char* bad :
       {"abc\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf"}) {
    auto ids = tokenizer_->Encode(bad);
    EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(ids.status().message(), HasSubstr("UTF-8"));
  }
  EXPECT_TRUE(tokenizer_->Encode("Grüße, 東京 👋").ok());
}

}  // namespace
}  // namespace glossa::model
