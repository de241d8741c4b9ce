// Decoding rules on their own: option validation, generation rules, top-k,
// sampling, and the beam hypotheses bookkeeping.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/decoding/beam_search.h"
#include "model/decoding/decoding_options.h"
#include "model/decoding/logits_processing.h"
#include "model/io/config.h"

namespace glossa::model {
namespace {

using ::testing::HasSubstr;

ModelConfig SmallConfig() {
  ModelConfig config;
  config.vocab_size = 10;
  config.eos_token_id = 0;
  config.pad_token_id = 9;
  config.decoder_start_token_id = 9;
  config.bad_words_ids = {9, 5};
  config.max_position_embeddings = 64;
  config.generation.max_length = 64;
  return config;
}

DecodingOptions Valid() {
  DecodingOptions options;
  options.max_output_tokens = 20;
  return options;
}

TEST(ValidateDecodingOptionsTest, AcceptsDefaults) {
  EXPECT_TRUE(ValidateDecodingOptions(Valid(), SmallConfig()).ok());
  // max_output_tokens 0 means "not set": callers resolve it first.
  EXPECT_FALSE(ValidateDecodingOptions({}, SmallConfig()).ok());
}

TEST(ValidateDecodingOptionsTest, NamesFieldValueAndRange) {
  const ModelConfig config = SmallConfig();
  struct Case {
    DecodingOptions options;
    const char* expected;
  };
  std::vector<Case> cases;
  DecodingOptions o = Valid();
  o.beam_size = 0;
  cases.push_back({o, "beam_size must be in [1, 16], got 0"});
  o = Valid();
  o.beam_size = 17;
  cases.push_back({o, "beam_size must be in [1, 16], got 17"});
  o = Valid();
  o.beam_size = 2;
  o.num_hypotheses = 3;
  cases.push_back(
      {o, "num_hypotheses must be in [1, 2] (1 to beam_size), got 3"});
  o = Valid();
  o.max_output_tokens = 65;
  cases.push_back({o, "max_output_tokens must be in [1, 64]"});
  o = Valid();
  o.max_output_tokens = 0;
  cases.push_back({o, "max_output_tokens must be in [1, 64], got 0"});
  o = Valid();
  o.max_output_tokens = 5;
  o.min_output_tokens = 6;
  cases.push_back(
      {o, "min_output_tokens must be in [0, 5] (0 to max_output_tokens)"});
  o = Valid();
  o.length_penalty = std::numeric_limits<float>::quiet_NaN();
  cases.push_back({o, "length_penalty must be in [-10, 10]"});
  o = Valid();
  o.sampling = true;
  o.temperature = -1;
  cases.push_back({o, "temperature must be in (0, 100], got -1"});
  o.temperature = 0;
  cases.push_back({o, "temperature must be in (0, 100], got 0"});
  o = Valid();
  o.sampling = true;
  o.top_k = -2;
  cases.push_back({o, "top_k must be in [0, 10] (0 = off), got -2"});
  o = Valid();
  o.sampling = true;
  o.top_p = 0;
  cases.push_back({o, "top_p must be in (0, 1], got 0"});
  o.top_p = 1.5;
  cases.push_back({o, "top_p must be in (0, 1], got 1.5"});
  o = Valid();
  o.sampling = true;
  o.beam_size = 4;
  cases.push_back({o, "beam_size must be 1 when sampling is set, got 4"});
  o = Valid();
  o.repetition_penalty = 0;
  cases.push_back(
      {o, "repetition_penalty must be in (0, 100] (1 = off), got 0"});
  o.repetition_penalty = std::numeric_limits<float>::quiet_NaN();
  cases.push_back({o, "repetition_penalty must be in (0, 100]"});
  o = Valid();
  o.no_repeat_ngram_size = -1;
  cases.push_back(
      {o, "no_repeat_ngram_size must be in [0, 16] (0 = off), got -1"});
  o.no_repeat_ngram_size = 17;
  cases.push_back(
      {o, "no_repeat_ngram_size must be in [0, 16] (0 = off), got 17"});
  for (const Case& c : cases) {
    const absl::Status status = ValidateDecodingOptions(c.options, config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_THAT(status.message(), HasSubstr(c.expected));
  }
}

TEST(ValidateDecodingOptionsTest, MessagesUseTheCallersFieldNames) {
  DecodingOptions o = Valid();
  o.beam_size = 0;
  EXPECT_EQ(ValidateDecodingOptions(o, SmallConfig(), {},
                                    OptionFieldNames::WithPrefix("options."))
                .message(),
            "options.beam_size must be in [1, 16], got 0");
  o = Valid();
  o.sampling = true;
  o.top_p = 2;
  EXPECT_EQ(ValidateDecodingOptions(o, SmallConfig(), {},
                                    OptionFieldNames::WithPrefix("options."))
                .message(),
            "options.sampling.top_p must be in (0, 1], got 2");
  // Unused sampling controls are not checked when not sampling.
  o.sampling = false;
  EXPECT_TRUE(ValidateDecodingOptions(o, SmallConfig()).ok());
}

TEST(GenerationRulesTest, BansPadBadWordsAndEarlyEos) {
  ModelConfig config = SmallConfig();
  config.never_generate_pad = true;
  std::vector<float> scores(10, 1.0f);
  ApplyGenerationRules(config, /*generated=*/0, /*min_output=*/3,
                       /*max_output=*/10, /*forced_prefix=*/{}, scores.data());
  EXPECT_TRUE(std::isinf(scores[9]));
  EXPECT_TRUE(std::isinf(scores[5]));
  EXPECT_TRUE(std::isinf(scores[0]));  // EOS would make 1 token < 3
  EXPECT_EQ(scores[1], 1.0f);
  std::fill(scores.begin(), scores.end(), 1.0f);
  ApplyGenerationRules(config, 2, 3, 10, {}, scores.data());
  EXPECT_EQ(scores[0], 1.0f);  // the 3rd token may be EOS
  // Without never_generate_pad (every family but Marian) pad is a token
  // like any other unless bad_words_ids names it.
  config.never_generate_pad = false;
  config.bad_words_ids.clear();
  std::fill(scores.begin(), scores.end(), 1.0f);
  ApplyGenerationRules(config, 2, 3, 10, {}, scores.data());
  EXPECT_EQ(scores[config.pad_token_id], 1.0f);
}

TEST(GenerationRulesTest, ForcesThePrefixThenChoosesFreely) {
  const ModelConfig config = SmallConfig();
  const std::vector<int> prefix = {7, 3};
  for (int generated = 0; generated < 2; ++generated) {
    std::vector<float> scores(10, 1.0f);
    EXPECT_TRUE(IsForcedStep(config, generated, 10, prefix));
    ApplyGenerationRules(config, generated, /*min_output=*/0, 10, prefix,
                         scores.data());
    for (int i = 0; i < 10; ++i) {
      if (i == prefix[generated]) {
        EXPECT_EQ(scores[i], 0.0f);
      } else {
        EXPECT_TRUE(std::isinf(scores[i])) << i;
      }
    }
  }
  std::vector<float> scores(10, 1.0f);
  EXPECT_FALSE(IsForcedStep(config, 2, 10, prefix));
  ApplyGenerationRules(config, 2, 0, 10, prefix, scores.data());
  EXPECT_EQ(scores[7], 1.0f);
  // At the last allowed step the forced EOS wins over the prefix.
  std::fill(scores.begin(), scores.end(), 1.0f);
  ApplyGenerationRules(config, 0, 0, 1, prefix, scores.data());
  EXPECT_EQ(scores[config.eos_token_id], 0.0f);
  EXPECT_TRUE(std::isinf(scores[7]));
}

TEST(GenerationRulesTest, ForcesEosAtTheLastStep) {
  const ModelConfig config = SmallConfig();
  std::vector<float> scores(10, -1.0f);
  ApplyGenerationRules(config, 4, 0, 5, {}, scores.data());
  EXPECT_EQ(scores[0], 0.0f);
  for (int i = 1; i < 10; ++i) EXPECT_TRUE(std::isinf(scores[i]));
}

TEST(TopKTest, BestFirstTiesByIndex) {
  const std::vector<float> x = {0.5f, 2.0f, 2.0f, -1.0f, 3.0f};
  const auto top = TopK(x.data(), 5, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].second, 4);
  EXPECT_EQ(top[1].second, 1);
  EXPECT_EQ(top[2].second, 2);
}

TEST(TopKTest, LargeInputsMatchAFullSort) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> x(32003);
  for (float& v : x) v = normal(rng);
  x[100] = -std::numeric_limits<float>::infinity();
  std::vector<int> order(x.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return x[a] > x[b]; });
  const auto top = TopK(x.data(), static_cast<int>(x.size()), 8);
  ASSERT_EQ(top.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(top[i].second, order[i]);
}

TEST(SamplingTest, SameSeedSameTokensAndFiltersRespected) {
  DecodingOptions options;
  options.sampling = true;
  options.top_k = 2;
  std::vector<float> base = {0.0f, 1.0f, 3.0f, 2.9f, -5.0f};
  std::mt19937_64 a(7), b(7);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> x1 = base, x2 = base;
    const int t1 = SampleToken(x1.data(), 5, options, a);
    const int t2 = SampleToken(x2.data(), 5, options, b);
    EXPECT_EQ(t1, t2);
    EXPECT_TRUE(t1 == 2 || t1 == 3) << t1;  // top-2 only
  }
  options.top_k = 0;
  options.top_p = 0.01f;  // the single most likely token
  for (int i = 0; i < 20; ++i) {
    std::vector<float> x = base;
    EXPECT_EQ(SampleToken(x.data(), 5, options, a), 2);
  }
  options.top_p = 1.0f;
  options.temperature = 0.0f;  // greedy
  std::vector<float> x = base;
  EXPECT_EQ(SampleToken(x.data(), 5, options, a), 2);
}

TEST(SampleTokenTest, TinyTemperatureIsArgmaxNotNaN) {
  // Divided by 1e-40 as they are, these logits overflow to +-inf and their
  // softmax is NaN; sampling then used to pick the last id (the pad token).
  for (float temperature : {1e-40f, 1e-30f, 1e-6f}) {
    std::vector<float> logits = {1.0f, 3.5f, -2.0f, 3.4f, -1e9f};
    DecodingOptions options;
    options.sampling = true;
    options.temperature = temperature;
    std::mt19937_64 rng(7);
    for (int draw = 0; draw < 20; ++draw) {
      std::vector<float> copy = logits;
      EXPECT_EQ(SampleToken(copy.data(), 5, options, rng), 1) << temperature;
    }
  }
}

TEST(BeamHypothesesTest, KeepsBestNormalisedAndStopsLikeHuggingFace) {
  BeamHypotheses hyps(/*num_beams=*/2, /*length_penalty=*/1.0f);
  hyps.Add({1, 2}, -3.0f, 3, /*eos=*/true);  // score -1.0
  EXPECT_FALSE(hyps.IsDone(-0.1f, 3));       // not full yet
  hyps.Add({1}, -1.0f, 2, /*eos=*/true);     // score -0.5
  hyps.Add({4, 4, 4}, -8.0f, 4,
           /*eos=*/true);  // -2.0: worse than both, dropped
  ASSERT_EQ(hyps.size(), 2);
  const auto best = hyps.Best(2);
  EXPECT_FLOAT_EQ(best[0].score, -0.5f);
  EXPECT_EQ(best[0].token_ids, std::vector<int>({1}));
  EXPECT_FLOAT_EQ(best[1].score, -1.0f);
  // Worst kept -1.0; a running beam at -2.4 over length 3 could reach -0.8.
  EXPECT_FALSE(hyps.IsDone(-2.4f, 3));
  EXPECT_TRUE(hyps.IsDone(-3.3f, 3));
  hyps.Add({7}, -0.2f, 2, /*eos=*/true);  // -0.1 evicts -1.0
  EXPECT_FLOAT_EQ(hyps.Best(2)[1].score, -0.5f);
}

TEST(BeamHypothesesTest, LengthPenaltyExponent) {
  BeamHypotheses hyps(1, 0.5f);
  hyps.Add({1, 2, 3}, -4.0f, 4, /*eos=*/true);
  EXPECT_FLOAT_EQ(hyps.Best(1)[0].score, -2.0f);  // -4 / 4^0.5
  EXPECT_TRUE(hyps.Best(1)[0].ended_with_eos);
  BeamHypotheses cut(1, 1.0f);
  cut.Add({1, 2}, -1.0f, 2, /*eos=*/false);  // the length limit's
  EXPECT_FALSE(cut.Best(1)[0].ended_with_eos);
}

TEST(SelectBeamCandidatesTest, MergesBeamsBestFirst) {
  const std::vector<float> beam0 = {-1.0f, -0.1f, -5.0f, -2.0f};
  const std::vector<float> beam1 = {-0.2f, -3.0f, -0.3f, -4.0f};
  const auto candidates = SelectBeamCandidates(
      {beam0.data(), beam1.data()}, {0.0f, -0.5f}, 4, /*num_beams=*/2);
  ASSERT_EQ(candidates.size(), 4u);
  EXPECT_EQ(candidates[0].parent, 0);
  EXPECT_EQ(candidates[0].token, 1);  // -0.1
  EXPECT_EQ(candidates[1].parent, 1);
  EXPECT_EQ(candidates[1].token, 0);  // -0.7
  EXPECT_EQ(candidates[2].parent, 1);
  EXPECT_EQ(candidates[2].token, 2);  // -0.8
  EXPECT_EQ(candidates[3].parent, 0);
  EXPECT_EQ(candidates[3].token, 0);  // -1.0
}

}  // namespace
}  // namespace glossa::model
