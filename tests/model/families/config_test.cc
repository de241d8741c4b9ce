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
  EXPECT_EQ(config->generation.num_beams, 4);
  EXPECT_EQ(config->generation.max_length, 50);
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
  EXPECT_EQ(config->generation.max_length, 20);
  EXPECT_EQ(config->generation.num_beams, 1);
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
  EXPECT_EQ(config->generation.num_beams, 6);
  EXPECT_EQ(config->generation.max_length, 300);
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
      ParseModelConfig(R"({"model_type": "umt5", "vocab_size": 10})").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(),
              AllOf(HasSubstr("'umt5'"), HasSubstr("served: marian"),
                    HasSubstr("bart"), HasSubstr("t5, mt5")));
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

// The benchmark shapes of every family round-trip through their writer.
TEST(ConfigTest, EveryBenchShapeWritesWhatItReads) {
  for (const char* name :
       {"opus-mt-base", "nllb-600m", "bart-base", "flan-t5-base"}) {
    auto shape = BenchShapeConfig(name);
    ASSERT_TRUE(shape.ok()) << name << ": " << shape.status();
    auto family = FindFamily(shape->model_type);
    ASSERT_TRUE(family.ok()) << family.status();
    auto again = ParseModelConfig((*family)->ConfigJson(*shape));
    ASSERT_TRUE(again.ok()) << name << ": " << again.status();
    EXPECT_EQ(again->d_model, shape->d_model) << name;
    EXPECT_EQ(again->HeadDim(again->encoder_attention_heads),
              shape->HeadDim(shape->encoder_attention_heads))
        << name;
    EXPECT_EQ(again->decoder_layers, shape->decoder_layers) << name;
    EXPECT_EQ(again->decoder_ffn_dim, shape->decoder_ffn_dim) << name;
    EXPECT_EQ(again->tie_word_embeddings, shape->tie_word_embeddings) << name;
    EXPECT_EQ(again->forced_bos_token_id, shape->forced_bos_token_id) << name;
    EXPECT_EQ(again->architecture.gated_ffn, shape->architecture.gated_ffn)
        << name;
    EXPECT_EQ(again->architecture.activation, shape->architecture.activation)
        << name;
    EXPECT_EQ(again->architecture.positions, shape->architecture.positions)
        << name;
  }
}

// google/flan-t5-base's config.json, as the hub ships it.
TEST(ConfigTest, ParsesFlanT5) {
  auto config = ParseModelConfig(R"({
    "architectures": ["T5ForConditionalGeneration"], "d_ff": 2048,
    "d_kv": 64, "d_model": 768, "decoder_start_token_id": 0,
    "dense_act_fn": "gelu_new", "dropout_rate": 0.1, "eos_token_id": 1,
    "feed_forward_proj": "gated-gelu", "initializer_factor": 1.0,
    "is_encoder_decoder": true, "is_gated_act": true,
    "layer_norm_epsilon": 1e-06, "model_type": "t5", "n_positions": 512,
    "num_decoder_layers": 12, "num_heads": 12, "num_layers": 12,
    "output_past": true, "pad_token_id": 0,
    "relative_attention_max_distance": 128,
    "relative_attention_num_buckets": 32, "tie_word_embeddings": false,
    "vocab_size": 32128})");
  ASSERT_TRUE(config.ok()) << config.status();
  const Architecture& a = config->architecture;
  EXPECT_EQ(config->HeadDim(12), 64);
  EXPECT_EQ(config->AttentionDim(12), 768);
  EXPECT_EQ(config->decoder_ffn_dim, 2048);
  EXPECT_TRUE(a.gated_ffn);
  EXPECT_EQ(a.activation, Activation::kGeluNew);
  EXPECT_EQ(a.norm, NormKind::kRmsNorm);
  EXPECT_FALSE(a.linear_biases);
  EXPECT_FALSE(a.scale_attention);
  EXPECT_TRUE(a.pre_norm && a.final_norms);
  EXPECT_EQ(a.positions, PositionEncoding::kRelativeBuckets);
  EXPECT_FALSE(config->tie_word_embeddings);
  EXPECT_FLOAT_EQ(a.tied_output_scale, 1.0f);  // untied: no rescale
  EXPECT_EQ(config->decoder_start_token_id, 0);
  EXPECT_EQ(config->forced_bos_token_id, -1);
  EXPECT_EQ(config->max_position_embeddings, 512);
  EXPECT_EQ(config->generation.max_length, 20);  // PretrainedConfig's
}

TEST(ConfigTest, T5DefaultsAndMt5Defaults) {
  // Original T5: ReLU, tied head rescaled by d_model^-0.5, d_kv on its own.
  auto t5 = ParseModelConfig(
      R"({"model_type": "t5", "d_model": 48, "d_kv": 16, "num_heads": 4,
          "vocab_size": 500})");
  ASSERT_TRUE(t5.ok()) << t5.status();
  EXPECT_EQ(t5->AttentionDim(4), 64);
  EXPECT_FALSE(t5->architecture.gated_ffn);
  EXPECT_EQ(t5->architecture.activation, Activation::kRelu);
  EXPECT_FLOAT_EQ(t5->architecture.tied_output_scale, 1.0f / std::sqrt(48.0f));
  EXPECT_EQ(t5->decoder_layers, 6);
  auto mt5 = ParseModelConfig(
      R"({"model_type": "mt5", "d_model": 48, "num_heads": 4,
          "num_layers": 3})");
  ASSERT_TRUE(mt5.ok()) << mt5.status();
  EXPECT_EQ(mt5->vocab_size, 250112);
  EXPECT_TRUE(mt5->architecture.gated_ffn);
  EXPECT_FALSE(mt5->tie_word_embeddings);
  EXPECT_EQ(mt5->decoder_layers, 3);  // num_decoder_layers defaults to it
  for (const char* bad :
       {R"({"model_type": "t5", "feed_forward_proj": "gated-sparkle"})",
        R"({"model_type": "t5", "relative_attention_num_buckets": 1})"}) {
    const absl::Status status = ParseModelConfig(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// facebook/bart-large-cnn keeps its summarization settings in config.json.
TEST(ConfigTest, BartGenerationSettingsBecomeDefaults) {
  auto config = ParseModelConfig(R"({
    "model_type": "bart", "activation_function": "gelu", "d_model": 1024,
    "encoder_layers": 12, "decoder_layers": 12, "vocab_size": 50264,
    "early_stopping": true, "length_penalty": 2.0, "max_length": 142,
    "min_length": 56, "no_repeat_ngram_size": 3, "num_beams": 4,
    "forced_bos_token_id": 0, "forced_eos_token_id": 2,
    "normalize_before": false, "add_final_layer_norm": false,
    "scale_embedding": false})");
  ASSERT_TRUE(config.ok()) << config.status();
  const GenerationDefaults& g = config->generation;
  EXPECT_EQ(g.num_beams, 4);
  EXPECT_EQ(g.max_length, 142);
  EXPECT_EQ(g.min_length, 56);
  EXPECT_FLOAT_EQ(g.length_penalty, 2.0f);
  EXPECT_EQ(g.no_repeat_ngram_size, 3);
  EXPECT_TRUE(g.early_stopping);
  EXPECT_EQ(config->decoder_start_token_id, 2);
  EXPECT_EQ(config->forced_bos_token_id, 0);
  EXPECT_FALSE(config->architecture.pre_norm);
  EXPECT_FALSE(config->architecture.final_norms);
  EXPECT_TRUE(config->architecture.embedding_norm);
  EXPECT_EQ(config->architecture.positions, PositionEncoding::kLearned);
  // generation_config.json wins, "never" included.
  ModelConfig over = *config;
  ASSERT_TRUE(ApplyGenerationConfig(
                  R"({"num_beams": 6, "early_stopping": "never",
                      "repetition_penalty": 1.2})",
                  &over)
                  .ok());
  EXPECT_EQ(over.generation.num_beams, 6);
  EXPECT_FALSE(over.generation.early_stopping);
  EXPECT_FLOAT_EQ(over.generation.repetition_penalty, 1.2f);
  EXPECT_EQ(over.generation.min_length, 56);

  // BartModel ignores normalize_before, and so does the family.
  auto ignored =
      ParseModelConfig(R"({"model_type": "bart", "normalize_before": true})");
  ASSERT_TRUE(ignored.ok()) << ignored.status();
  EXPECT_FALSE(ignored->architecture.pre_norm);
  const absl::Status bad_penalty =
      ParseModelConfig(R"({"model_type": "bart", "length_penalty": "long"})")
          .status();
  EXPECT_THAT(bad_penalty.message(), HasSubstr("length_penalty"));
}

}  // namespace
}  // namespace glossa::model
