// config.json through the family its model_type names.
#include "model/io/config.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/families/family.h"
#include "model/families/random_model.h"

namespace glossa::model {
namespace {

using ::testing::AllOf;
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
  EXPECT_EQ(config->architecture.activation, Activation::kGelu);
  EXPECT_EQ(config->architecture.embedding_scale, 1.0f);
  EXPECT_TRUE(config->architecture.pre_norm);
  EXPECT_TRUE(config->architecture.final_norms);
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
  EXPECT_EQ(config->architecture.activation, Activation::kGelu);
  EXPECT_EQ(config->architecture.embedding_scale, 1.0f);
  EXPECT_FALSE(config->architecture.pre_norm);
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

TEST(ConfigTest, ModelTypeChoosesTheFamily) {
  auto marian = ParseModelConfig(
      R"({"model_type": "marian", "vocab_size": 10, "d_model": 16,
          "encoder_attention_heads": 2, "decoder_attention_heads": 2,
          "pad_token_id": 9, "scale_embedding": true})");
  ASSERT_TRUE(marian.ok()) << marian.status();
  EXPECT_EQ(marian->model_type, "marian");
  EXPECT_FLOAT_EQ(marian->architecture.embedding_scale, 4.0f);  // sqrt(16)
  // No model_type: read as Marian.
  EXPECT_TRUE(ParseModelConfig(
                  R"({"vocab_size": 10, "pad_token_id": 9, "d_model": 16})")
                  .ok());
  const absl::Status unknown =
      ParseModelConfig(R"({"model_type": "t5", "vocab_size": 10})").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(),
              AllOf(HasSubstr("'t5'"), HasSubstr("served: marian")));
}

TEST(ConfigTest, FamilyWritesWhatItReads) {
  // The random-model writer's config.json goes through the same parser.
  const ModelConfig base = OpusMtBaseConfig();
  EXPECT_EQ(base.d_model, 512);
  EXPECT_EQ(base.architecture.activation, Activation::kSwish);
  EXPECT_FLOAT_EQ(base.architecture.embedding_scale, std::sqrt(512.0f));
  auto family = FindFamily(base.model_type);
  ASSERT_TRUE(family.ok()) << family.status();
  auto again = ParseModelConfig((*family)->ConfigJson(base));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->vocab_size, base.vocab_size);
  EXPECT_EQ(again->pad_token_id, base.pad_token_id);
  EXPECT_EQ(again->bad_words_ids, base.bad_words_ids);
  EXPECT_EQ(again->forced_eos_token_id, base.forced_eos_token_id);
  EXPECT_EQ(again->architecture.pre_norm, base.architecture.pre_norm);
  EXPECT_FLOAT_EQ(again->architecture.embedding_scale,
                  base.architecture.embedding_scale);
}

}  // namespace
}  // namespace glossa::model
