#ifndef GLOSSA_TESTS_INTEGRATION_ORACLE_H_
#define GLOSSA_TESTS_INTEGRATION_ORACLE_H_

// The engine's offline Translator, loaded in the test process, is the
// oracle: whatever the server answers must equal what it computes alone.

#include <memory>
#include <string>
#include <vector>

#include "glossa/v1/glossa.pb.h"
#include "gtest/gtest.h"
#include "model/translator.h"

namespace glossa::testing {

// The engine options the server derives from `options` for a model with
// `num_beams` in its config (server defaults for unset fields).
inline model::DecodingOptions EngineOptions(const v1::TranslateOptions& in,
                                            int num_beams) {
  model::DecodingOptions options;
  options.beam_size = in.has_beam_size()  ? in.beam_size()
                      : in.has_sampling() ? 1
                                          : num_beams;
  if (in.has_num_hypotheses()) options.num_hypotheses = in.num_hypotheses();
  if (in.has_length_penalty()) options.length_penalty = in.length_penalty();
  if (in.has_max_output_tokens()) {
    options.max_output_tokens = in.max_output_tokens();
  }
  if (in.has_min_output_tokens()) {
    options.min_output_tokens = in.min_output_tokens();
  }
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

inline std::unique_ptr<model::Translator> LoadOracle(const std::string& dir) {
  model::LoadOptions load;
  load.num_threads = 1;
  auto translator = model::Translator::Load(dir, load);
  EXPECT_TRUE(translator.ok()) << translator.status();
  return translator.ok() ? *std::move(translator) : nullptr;
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
