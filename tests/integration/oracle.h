#ifndef GLOSSA_TESTS_INTEGRATION_ORACLE_H_
#define GLOSSA_TESTS_INTEGRATION_ORACLE_H_

// The engine, loaded in the test process and translating offline, is the
// oracle: whatever the server answers must equal what it computes alone.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "glossa/v1/glossa.pb.h"
#include "gtest/gtest.h"
#include "model/engine.h"

namespace glossa::testing {

// The engine options a request's `options` stand for: the engine's
// defaults for unset fields (beam search off when sampling), the request's
// values for the rest.
inline model::DecodingOptions EngineOptions(const v1::TranslateOptions& in,
                                            const model::Engine& engine) {
  model::DecodingOptions options = engine.DefaultOptions();
  if (in.has_sampling()) options.beam_size = 1;
  if (in.has_beam_size()) options.beam_size = in.beam_size();
  if (in.has_num_hypotheses()) options.num_hypotheses = in.num_hypotheses();
  if (in.has_length_penalty()) options.length_penalty = in.length_penalty();
  if (in.has_max_output_tokens()) {
    options.max_output_tokens = in.max_output_tokens();
  }
  if (in.has_min_output_tokens()) {
    options.min_output_tokens = in.min_output_tokens();
  } else {
    options.min_output_tokens =
        std::min(options.min_output_tokens, options.max_output_tokens);
  }
  if (in.has_repetition_penalty()) {
    options.repetition_penalty = in.repetition_penalty();
  }
  if (in.has_no_repeat_ngram_size()) {
    options.no_repeat_ngram_size = in.no_repeat_ngram_size();
  }
  if (in.has_early_stopping()) options.early_stopping = in.early_stopping();
  if (in.has_sampling()) {
    options.sampling = true;
    if (in.sampling().has_temperature()) {
      options.temperature = in.sampling().temperature();
    }
    options.top_k = in.sampling().top_k();
    if (in.sampling().has_top_p()) options.top_p = in.sampling().top_p();
    options.seed = in.sampling().seed();
  }
  return options;
}

inline std::shared_ptr<const model::Engine> LoadOracle(
    const std::string& dir,
    model::ComputeType compute_type = model::ComputeType::kFloat32) {
  model::LoadOptions load;
  load.num_threads = 1;
  load.compute_type = compute_type;
  auto engine = model::Engine::Load(dir, load);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *std::move(engine) : nullptr;
}

// Scores may differ in the last bits between batch shapes; text may not.
inline void ExpectSameTranslation(const v1::Translation& served,
                                  const model::TranslationResult& expected,
                                  const std::string& context) {
  SCOPED_TRACE(context);
  ASSERT_EQ(served.hypotheses_size(),
            static_cast<int>(expected.hypotheses.size()));
  for (int i = 0; i < served.hypotheses_size(); ++i) {
    EXPECT_EQ(served.hypotheses(i).text(), expected.hypotheses[i].text);
    EXPECT_EQ(served.hypotheses(i).num_tokens(),
              static_cast<int>(expected.hypotheses[i].token_ids.size()));
  }
  EXPECT_EQ(served.input_tokens(), expected.input_tokens);
  EXPECT_EQ(served.output_tokens(), expected.output_tokens);
}

inline void ExpectSameScores(const v1::Translation& served,
                             const model::TranslationResult& expected) {
  ASSERT_EQ(served.hypotheses_size(),
            static_cast<int>(expected.hypotheses.size()));
  for (int i = 0; i < served.hypotheses_size(); ++i) {
    EXPECT_NEAR(served.hypotheses(i).score(), expected.hypotheses[i].score,
                1e-4 * std::max(1.0f, std::abs(expected.hypotheses[i].score)));
  }
}

}  // namespace glossa::testing

#endif  // GLOSSA_TESTS_INTEGRATION_ORACLE_H_
