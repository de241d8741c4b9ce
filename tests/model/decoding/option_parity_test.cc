// repetition_penalty, no_repeat_ngram_size and early_stopping against the
// independent PyTorch generate() (tools/reference/marian_generate.py) on
// every reference fixture: options_reference.json holds, per case, the
// hypotheses of each sentence whose decisions all have a margin of at
// least 1e-3 (tools/reference/make_option_references.py). Token ids exact,
// scores and greedy log-probabilities within 1e-4.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "gtest/gtest.h"
#include "model/engine.h"
#include "tests/model/test_files.h"
#include "tests/model/transformer/decode_together.h"

namespace glossa::model {
namespace {

using nlohmann::json;

constexpr double kTolerance = 1e-4;

// A greedy score sums up to 63 float32 log-probabilities, some near -20
// under the bans: 1e-4 absolute, or 1e-6 of the score when larger.
double ScoreTolerance(double score) {
  return std::max(kTolerance, 1e-6 * std::abs(score));
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

class OptionParityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OptionParityTest, EveryCaseMatchesTheReference) {
  const std::string dir = glossa::testing::FixtureDir(GetParam());
  const json sentences = ReadJson(dir + "/reference.json")["sentences"];
  const json reference = ReadJson(dir + "/options_reference.json");
  auto engine = Engine::Load(dir);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const int eos = (*engine)->config().eos_token_id;
  int checked = 0;
  for (const json& decoding_case : reference["cases"]) {
    const json& o = decoding_case["glossa_options"];
    DecodingOptions options;
    options.beam_size = o["beam_size"];
    options.num_hypotheses = o["num_hypotheses"];
    options.length_penalty = o["length_penalty"];
    options.max_output_tokens = o["max_output_tokens"];
    options.min_output_tokens = o["min_output_tokens"];
    options.repetition_penalty = o["repetition_penalty"];
    options.no_repeat_ngram_size = o["no_repeat_ngram_size"];
    options.early_stopping = o["early_stopping"];
    const std::string name = decoding_case["name"];
    ASSERT_TRUE(ValidateDecodingOptions(options, (*engine)->config()).ok())
        << name;
    // Each sentence alone, then all of them in one batch.
    std::vector<std::vector<int>> sources;
    std::vector<DecodingOptions> per_sentence;
    std::vector<Decoded> alone;
    for (const json& result : decoding_case["results"]) {
      const json& sentence = sentences[result["sentence"].get<int>()];
      sources.push_back(sentence["source_ids"].get<std::vector<int>>());
      per_sentence.push_back(ForSentence(options, sentence));
      alone.push_back(DecodeTogether((*engine)->model(), {sources.back()},
                                     {per_sentence.back()})[0]);
    }
    const std::vector<Decoded> batched =
        DecodeTogether((*engine)->model(), sources, per_sentence);
    for (size_t r = 0; r < sources.size(); ++r) {
      const json& want = decoding_case["results"][r]["hypotheses"];
      for (const Decoded* got : {&std::as_const(alone[r]), &batched[r]}) {
        const std::string what = name + " result " + std::to_string(r) +
                                 (got == &alone[r] ? " alone" : " batched");
        ASSERT_EQ(got->hypotheses.size(), want.size()) << what;
        for (size_t h = 0; h < want.size(); ++h) {
          std::vector<int> ids = want[h]["ids"].get<std::vector<int>>();
          if (!ids.empty() && ids.back() == eos) ids.pop_back();
          EXPECT_EQ(got->hypotheses[h].token_ids, ids) << what << " #" << h;
          const double score = want[h]["score"];
          EXPECT_NEAR(got->hypotheses[h].score, score, ScoreTolerance(score))
              << what << " #" << h;
        }
        if (want[0].contains("token_logprobs")) {
          const auto logprobs =
              want[0]["token_logprobs"].get<std::vector<double>>();
          ASSERT_LE(got->streamed_logprobs.size(), logprobs.size()) << what;
          for (size_t t = 0; t < got->streamed_logprobs.size(); ++t) {
            EXPECT_NEAR(got->streamed_logprobs[t], logprobs[t], kTolerance)
                << what << " token " << t;
          }
        }
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 40);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OptionParityTest,
                         ::testing::Values("tiny-swish", "tiny-gelu",
                                           "tiny-nllb", "tiny-m2m100",
                                           "tiny-mbart50", "tiny-bart",
                                           "tiny-t5", "tiny-flan-t5"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace glossa::model
