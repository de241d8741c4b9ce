#include "model/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::model {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, ParsesMarianFields) {
  auto config = ParseModelConfig(R"({
    "model_type": "marian", "d_model": 64, "encoder_layers": 2,
    "decoder_layers": 3, "encoder_attention_heads": 4,
    "decoder_attention_heads": 2, "encoder_ffn_dim": 128,
    "decoder_ffn_dim": 96, "activation_function": "gelu",
    "scale_embedding": false, "normalize_before": true, "vocab_size": 100,
    "max_position_embeddings": 64, "pad_token_id": 99, "eos_token_id": 0,
    "decoder_start_token_id": 99, "bad_words_ids": [[99]],
    "share_encoder_decoder_embeddings": true, "num_beams": 4,
    "max_length": 50})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->d_model, 64);
  EXPECT_EQ(config->decoder_layers, 3);
  EXPECT_EQ(config->decoder_attention_heads, 2);
  EXPECT_EQ(config->decoder_ffn_dim, 96);
  EXPECT_EQ(config->activation, Activation::kGelu);
  EXPECT_FALSE(config->scale_embedding);
  EXPECT_TRUE(config->normalize_before);
  EXPECT_EQ(config->bad_words_ids, std::vector<int>({99}));
  EXPECT_EQ(config->num_beams, 4);
  EXPECT_EQ(config->max_length, 50);
}

TEST(ConfigTest, ForcedEosDefaultsToZeroAndNullDisablesIt) {
  const std::string base = R"("vocab_size": 10, "pad_token_id": 9,
      "d_model": 16, "encoder_attention_heads": 2,
      "decoder_attention_heads": 2)";
  auto defaulted = ParseModelConfig("{" + base + "}");
  ASSERT_TRUE(defaulted.ok()) << defaulted.status();
  EXPECT_EQ(defaulted->forced_eos_token_id, 0);  // MarianConfig's default
  auto disabled =
      ParseModelConfig("{" + base + R"(, "forced_eos_token_id": null})");
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(disabled->forced_eos_token_id, -1);
}

TEST(ConfigTest, MissingKeysTakeMarianConfigDefaults) {
  auto config = ParseModelConfig(R"({"vocab_size": 100, "d_model": 64,
      "encoder_attention_heads": 4, "decoder_attention_heads": 4,
      "pad_token_id": 99})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->activation, Activation::kGelu);
  EXPECT_FALSE(config->scale_embedding);
  EXPECT_EQ(config->max_length, 20);
  EXPECT_EQ(config->num_beams, 1);
  EXPECT_EQ(config->encoder_layers, 12);
  EXPECT_EQ(config->decoder_start_token_id, 99);
}

TEST(ConfigTest, GenerationConfigOverridesConfig) {
  auto config = ParseModelConfig(R"({"vocab_size": 100, "d_model": 64,
      "encoder_attention_heads": 4, "decoder_attention_heads": 4,
      "pad_token_id": 99, "num_beams": 2, "max_length": 50,
      "bad_words_ids": [[99]]})");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(ApplyGenerationConfig(R"({"num_beams": 6, "max_length": 300,
      "bad_words_ids": [[98]], "forced_eos_token_id": null})",
                                    &*config)
                  .ok());
  EXPECT_EQ(config->num_beams, 6);
  EXPECT_EQ(config->max_length, 300);
  EXPECT_EQ(config->bad_words_ids, std::vector<int>({98}));
  EXPECT_EQ(config->forced_eos_token_id, -1);
  EXPECT_FALSE(
      ApplyGenerationConfig(R"({"bad_words_ids": [[1000]]})", &*config).ok());
}

TEST(ConfigTest, DecoderVocabSizeMustMatchTheSharedVocabulary) {
  const std::string base = R"("vocab_size": 10, "pad_token_id": 9,
      "d_model": 16, "encoder_attention_heads": 2,
      "decoder_attention_heads": 2)";
  EXPECT_TRUE(
      ParseModelConfig("{" + base + R"(, "decoder_vocab_size": 10})").ok());
  EXPECT_TRUE(
      ParseModelConfig("{" + base + R"(, "decoder_vocab_size": null})").ok());
  const absl::Status separate =
      ParseModelConfig("{" + base + R"(, "decoder_vocab_size": 12})").status();
  EXPECT_EQ(separate.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(separate.message(), HasSubstr("decoder_vocab_size 12"));
}

TEST(ConfigTest, RejectsBadValuesByName) {
  EXPECT_THAT(ParseModelConfig(R"({"vocab_size": 10, "d_model": "x"})")
                  .status()
                  .message(),
              HasSubstr("'d_model'"));
  EXPECT_THAT(
      ParseModelConfig(R"({"vocab_size": 10, "activation_function": "tanh"})")
          .status()
          .message(),
      HasSubstr("activation_function"));
  EXPECT_THAT(ParseModelConfig(R"({"vocab_size": 0})").status().message(),
              HasSubstr("vocab_size"));
  EXPECT_THAT(ParseModelConfig(R"({"vocab_size": 10, "pad_token_id": 10})")
                  .status()
                  .message(),
              HasSubstr("outside the vocabulary"));
  EXPECT_THAT(ParseModelConfig(
                  R"({"vocab_size": 10, "d_model": 30,
                      "encoder_attention_heads": 4})")
                  .status()
                  .message(),
              HasSubstr("divisible"));
  EXPECT_FALSE(ParseModelConfig("[1, 2]").ok());
  EXPECT_FALSE(ParseModelConfig("{").ok());
}

}  // namespace
}  // namespace glossa::model
