// Continuous batching must not change results: a sequence decodes the same
// alone, beside others, or joining a batch that is already running.
#include "model/decoding/batch_decoder.h"

#include <algorithm>
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/families/random_model.h"

namespace glossa::model {
namespace {

ModelConfig SmallConfig() {
  ModelConfig c;
  c.d_model = 32;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.encoder_attention_heads = c.decoder_attention_heads = 4;
  c.encoder_ffn_dim = c.decoder_ffn_dim = 64;
  c.vocab_size = 40;
  c.max_position_embeddings = 64;
  c.generation.max_length = 64;
  c.eos_token_id = 0;
  c.pad_token_id = c.decoder_start_token_id = 39;
  c.bad_words_ids = {39, 7};
  return c;
}

std::shared_ptr<const Model> SmallModel(bool reference_backend) {
  LoadOptions options;
  options.reference_backend = reference_backend;
  options.num_threads = 1;
  auto model = Model::FromTensors(
      SmallConfig(), BartStyleLayout(),
      RandomTensors(SmallConfig(), BartStyleLayout(), 7), options);
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

struct Outcome {
  std::vector<int> streamed;
  std::vector<Hypothesis> hypotheses;
  FinishReason reason;
};

// Runs until every sequence finishes; `late` joins after `join_step` steps.
std::map<uint64_t, Outcome> RunToEnd(BatchDecoder& decoder,
                                     std::vector<NewSequence> late = {},
                                     int join_step = 0) {
  std::map<uint64_t, Outcome> outcomes;
  int step = 0;
  while (decoder.num_sequences() > 0 || !late.empty()) {
    if (!late.empty() && step == join_step) {
      EXPECT_TRUE(decoder.Add(std::move(late)).ok());
      late.clear();
    }
    auto events = decoder.Step();
    EXPECT_TRUE(events.ok()) << events.status();
    for (SequenceEvent& event : *events) {
      Outcome& outcome = outcomes[event.sequence_id];
      if (event.has_token) outcome.streamed.push_back(event.token_id);
      if (event.finished) {
        outcome.hypotheses = std::move(event.hypotheses);
        outcome.reason = event.finish_reason;
      }
    }
    ++step;
  }
  return outcomes;
}

std::vector<std::vector<int>> Sources() {
  return {{5, 6, 8, 9, 0},
          {12, 3, 0},
          {20, 21, 22, 23, 24, 25, 26, 0},
          {1, 0},
          {30, 31, 9, 0}};
}

Outcome Alone(std::shared_ptr<const Model> model, const NewSequence& sequence) {
  BatchDecoder decoder(model);
  EXPECT_TRUE(decoder.Add({sequence}).ok());
  auto outcomes = RunToEnd(decoder);
  return outcomes.begin()->second;
}

void ExpectSame(const Outcome& a, const Outcome& b) {
  EXPECT_EQ(a.streamed, b.streamed);
  ASSERT_EQ(a.hypotheses.size(), b.hypotheses.size());
  for (size_t i = 0; i < a.hypotheses.size(); ++i) {
    EXPECT_EQ(a.hypotheses[i].token_ids, b.hypotheses[i].token_ids);
    EXPECT_NEAR(a.hypotheses[i].score, b.hypotheses[i].score, 1e-4);
  }
  EXPECT_EQ(a.reason, b.reason);
}

class BatchingInvarianceTest : public ::testing::TestWithParam<bool> {};

TEST_P(BatchingInvarianceTest, MixedBatchWithLateJoinerMatchesAlone) {
  auto model = SmallModel(GetParam());
  DecodingOptions greedy;
  greedy.max_output_tokens = 12;
  DecodingOptions beam;
  beam.beam_size = 4;
  beam.num_hypotheses = 3;
  beam.max_output_tokens = 10;
  DecodingOptions sampled;
  sampled.sampling = true;
  sampled.temperature = 1.5f;
  sampled.seed = 99;
  sampled.max_output_tokens = 15;
  DecodingOptions long_min = greedy;
  long_min.min_output_tokens = 8;
  const auto sources = Sources();
  std::vector<NewSequence> first = {
      {sources[0], greedy}, {sources[1], beam}, {sources[2], sampled}};
  std::vector<NewSequence> late = {{sources[3], long_min}, {sources[4], beam}};

  BatchDecoder decoder(model);
  auto ids = decoder.Add(first);
  ASSERT_TRUE(ids.ok());
  auto outcomes = RunToEnd(decoder, late, /*join_step=*/3);
  ASSERT_EQ(outcomes.size(), 5u);
  std::vector<NewSequence> all = first;
  all.insert(all.end(), late.begin(), late.end());
  size_t longest = 0;
  for (const auto& [id, outcome] : outcomes) {
    longest = std::max(longest, outcome.hypotheses.at(0).token_ids.size());
  }
  EXPECT_GE(longest, 5u) << "outputs too short to exercise batching";
  size_t i = 0;
  for (const auto& [id, outcome] : outcomes) {  // ids ascend in Add order
    SCOPED_TRACE(::testing::Message() << "sequence " << i);
    ExpectSame(outcome, Alone(model, all[i]));
    ++i;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, BatchingInvarianceTest,
                         ::testing::Values(false, true), [](const auto& info) {
                           return info.param ? "Reference" : "OneDnn";
                         });

TEST(BatchDecoderTest, RespectsLengthBoundsAndNeverEmitsBannedTokens) {
  auto model = SmallModel(false);
  const ModelConfig config = SmallConfig();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    DecodingOptions options;
    options.sampling = true;
    options.temperature = 3.0f;  // flat: banned tokens would show up
    options.seed = seed;
    options.min_output_tokens = 4;
    options.max_output_tokens = 9;
    const Outcome outcome = Alone(model, {Sources()[seed % 5], options});
    const auto& tokens = outcome.hypotheses.at(0).token_ids;
    EXPECT_GE(tokens.size() + 1, 4u);  // EOS counts
    EXPECT_LE(tokens.size() + 1, 9u);
    for (int token : tokens) {
      EXPECT_NE(token, config.pad_token_id);
      EXPECT_NE(token, 7);
      EXPECT_NE(token, config.eos_token_id);
    }
    EXPECT_EQ(outcome.streamed, tokens);
  }
}

// Caches start small and grow with the output; what finished sequences
// leave for reuse is bounded in bytes, so memory does not keep the peak of
// every burst of long outputs.
TEST(BatchDecoderTest, IdleCachesAreBoundedInBytes) {
  ModelConfig config = SmallConfig();
  config.d_model = 128;
  config.max_position_embeddings = config.generation.max_length = 300;
  LoadOptions load;
  load.num_threads = 1;
  auto model =
      Model::FromTensors(config, BartStyleLayout(),
                         RandomTensors(config, BartStyleLayout(), 3), load);
  ASSERT_TRUE(model.ok()) << model.status();
  BatchDecoder decoder(*model);
  DecodingOptions options;
  options.sampling = true;
  options.min_output_tokens = options.max_output_tokens = 260;
  std::vector<NewSequence> batch;
  for (int i = 0; i < 200; ++i) {
    options.seed = i;
    batch.push_back({Sources()[i % 5], options});
  }
  ASSERT_TRUE(decoder.Add(std::move(batch)).ok());
  const auto outcomes = RunToEnd(decoder);
  ASSERT_EQ(outcomes.size(), 200u);
  // 200 caches of 260+ positions x 2 layers x 128 x (keys + values) floats
  // are over 100 MB; at most kMaxPooledBytes of them stay.
  EXPECT_GT(decoder.idle_cache_bytes(), 0u);
  EXPECT_LE(decoder.idle_cache_bytes(), BatchDecoder::kMaxPooledBytes);
}

TEST(BatchDecoderTest, DifferentSeedsDiffer) {
  auto model = SmallModel(false);
  std::set<std::vector<int>> distinct;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    DecodingOptions options;
    options.sampling = true;
    options.temperature = 2.0f;
    options.seed = seed;
    options.max_output_tokens = 10;
    distinct.insert(
        Alone(model, {Sources()[0], options}).hypotheses.at(0).token_ids);
  }
  EXPECT_GT(distinct.size(), 1u);
}

TEST(BatchDecoderTest, RemoveFreesRowsAndLeavesOthersIntact) {
  auto model = SmallModel(false);
  // Minimum lengths keep both sequences alive for the first steps whatever
  // the random weights prefer.
  DecodingOptions beam;
  beam.beam_size = 3;
  beam.max_output_tokens = 12;
  beam.min_output_tokens = 6;
  DecodingOptions greedy;
  greedy.max_output_tokens = 12;
  greedy.min_output_tokens = 6;
  BatchDecoder decoder(model);
  auto ids = decoder.Add({{Sources()[0], beam}, {Sources()[2], greedy}});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(decoder.num_rows(), 2);  // beam search starts from one beam
  ASSERT_TRUE(decoder.Step().ok());
  EXPECT_EQ(decoder.num_rows(), 4);
  decoder.Remove((*ids)[0]);
  EXPECT_EQ(decoder.num_sequences(), 1);
  EXPECT_EQ(decoder.num_rows(), 1);
  decoder.Remove(12345);  // unknown: ignored
  const auto rest = RunToEnd(decoder);
  ASSERT_EQ(rest.size(), 1u);
  const Outcome alone = Alone(model, {Sources()[2], greedy});
  // The first streamed token came before the Remove.
  EXPECT_EQ(rest.begin()->second.hypotheses.at(0).token_ids,
            alone.hypotheses.at(0).token_ids);
}

TEST(BatchDecoderTest, MaxOutputTokensEndsWithLengthReason) {
  auto model = SmallModel(false);
  DecodingOptions options;
  options.max_output_tokens = 3;
  options.min_output_tokens = 3;
  const Outcome outcome = Alone(model, {Sources()[1], options});
  EXPECT_EQ(outcome.hypotheses.at(0).token_ids.size(), 2u);  // + forced EOS
  EXPECT_EQ(outcome.reason, FinishReason::kLength);
}

TEST(BatchDecoderTest, RejectsOutOfRangeSourceIds) {
  auto model = SmallModel(false);
  BatchDecoder decoder(model);
  auto added = decoder.Add({{{5, 400, 0}, DecodingOptions{}}});
  EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(decoder.num_sequences(), 0);
}

}  // namespace
}  // namespace glossa::model

namespace glossa::model {
namespace {

// Beam search reports tokens as they become final: what it reports is
// always a prefix of the result, the result's tokens come in order, and on
// long outputs some arrive before the search ends.
TEST(BatchDecoderTest, BeamSearchReportsTheFinalPrefixAsItGrows) {
  auto model = SmallModel(false);
  int reported_early = 0;
  for (const int beam_size : {2, 4}) {
    for (size_t s = 0; s < Sources().size(); ++s) {
      DecodingOptions options;
      options.beam_size = beam_size;
      options.max_output_tokens = 24;
      options.min_output_tokens = 12;
      BatchDecoder decoder(model);
      ASSERT_TRUE(decoder.Add({{Sources()[s], options}}).ok());
      std::vector<int> stable;
      std::vector<Hypothesis> result;
      int steps = 0;
      while (decoder.num_sequences() > 0) {
        auto events = decoder.Step();
        ASSERT_TRUE(events.ok());
        ++steps;
        for (SequenceEvent& event : *events) {
          EXPECT_FALSE(event.has_token);
          EXPECT_EQ(event.stable_tokens.size(), event.stable_logprobs.size());
          if (!event.finished && !event.stable_tokens.empty()) {
            reported_early += steps < 24 ? 1 : 0;
          }
          stable.insert(stable.end(), event.stable_tokens.begin(),
                        event.stable_tokens.end());
          if (event.finished) result = std::move(event.hypotheses);
        }
      }
      ASSERT_FALSE(result.empty());
      const std::vector<int>& best = result.front().token_ids;
      ASSERT_LE(stable.size(), best.size());
      EXPECT_TRUE(std::equal(stable.begin(), stable.end(), best.begin()))
          << "beam " << beam_size << " source " << s;
    }
  }
  EXPECT_GT(reported_early, 0);
}

}  // namespace
}  // namespace glossa::model
