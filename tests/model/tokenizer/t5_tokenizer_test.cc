// T5Tokenizer's rules beyond what the parity fixtures compare: sentinels
// and padding ids decode to nothing, and a directory that cannot be read
// as T5's says which file is wrong and why.
#include "model/tokenizer/t5_tokenizer.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// tiny-t5: 400 pieces, 100 sentinels (400-499), vocab_size 512.
constexpr int kPieces = 400;

TEST(T5TokenizerTest, SentinelsAndPaddingIdsDecodeToNothing) {
  auto tokenizer =
      T5Tokenizer::Load(glossa::testing::FixtureDir("tiny-t5"), 512);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  auto ids = (*tokenizer)->Encode("copy: the Program");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->back(), 1);                         // </s>
  std::vector<int> with_extras = {kPieces + 99, 0};  // <extra_id_0>, <pad>
  with_extras.insert(with_extras.end(), ids->begin(), ids->end());
  with_extras.push_back(511);  // a padding row of the embedding table
  EXPECT_EQ((*tokenizer)->Decode(with_extras), "copy: the Program");
  EXPECT_EQ((*tokenizer)->eos_id(), 1);
  EXPECT_EQ((*tokenizer)->pad_id(), 0);
}

class T5TokenizerFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A folder of its own: ctest runs these tests in parallel processes.
    dir_ = testing::MakeTempDir();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(T5TokenizerFilesTest, TokenizerJsonAloneNamesTheMissingFile) {
  std::ofstream(dir_ + "/tokenizer.json") << "{}";
  const absl::Status status = T5Tokenizer::Load(dir_, 512).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("tokenizer.json"), HasSubstr("spiece.model")));
}

TEST_F(T5TokenizerFilesTest, ANonT5SentencePieceModelIsRefused) {
  // OPUS-MT's models number <unk> <s> </s> first.
  std::filesystem::copy_file(
      glossa::testing::FixtureDir("tiny-swish") + "/source.spm",
      dir_ + "/spiece.model");
  const absl::Status status = T5Tokenizer::Load(dir_, 512).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("spiece.model"), HasSubstr("<pad>")));
}

TEST_F(T5TokenizerFilesTest, AVocabularySmallerThanThePiecesIsRefused) {
  std::filesystem::copy_file(
      glossa::testing::FixtureDir("tiny-t5") + "/spiece.model",
      dir_ + "/spiece.model");
  const absl::Status status = T5Tokenizer::Load(dir_, 300).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("400 pieces"), HasSubstr("vocab_size is 300")));
}

}  // namespace
}  // namespace glossa::model
