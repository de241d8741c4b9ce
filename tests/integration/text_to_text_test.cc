// Text-to-text models served over a real channel: BART (byte-level BPE,
// <s> forced first) and T5 / flan-T5 (SentencePiece, relative positions).
// GetModelInfo reports the family and its generation defaults; Translate
// (beams, n-best) and streaming Generate answer what the engine computes
// alone, with 24 callers at once; a checkpoint's own generation settings
// are what a request gets when it sets none.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/oracle.h"
#include "tests/integration/server_process.h"
#include "tests/model/test_files.h"

namespace glossa::testing {
namespace {

std::vector<std::string> FixtureTexts(const std::string& dir) {
  std::ifstream in(dir + "/reference.json");
  const nlohmann::json reference = nlohmann::json::parse(in);
  std::vector<std::string> texts;
  for (const auto& sentence : reference["sentences"]) {
    texts.push_back(sentence["text"]);
  }
  return texts;
}

class TextToTextTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = FixtureDir(GetParam());
    oracle_ = LoadOracle(dir_);
    ASSERT_NE(oracle_, nullptr);
    texts_ = FixtureTexts(dir_);
    ASSERT_FALSE(texts_.empty());
    auto server = ServerProcess::Start(
        {"--model=" + dir_, "--http_port=-1", "--max_queue_delay_ms=5"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  model::TranslationResult Expected(const std::string& text,
                                    const v1::TranslateOptions& options) {
    auto results =
        oracle_->Translate({text}, EngineOptions(options, *oracle_), 8);
    EXPECT_TRUE(results.ok()) << results.status();
    return results.ok() ? (*results)[0] : model::TranslationResult();
  }

  std::string dir_;
  std::shared_ptr<const model::Engine> oracle_;
  std::vector<std::string> texts_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(TextToTextTest, ModelInfoReportsTheFamilyAndItsDefaults) {
  v1::GetModelInfoRequest request;
  v1::ModelInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(server_->NewStub()->GetModelInfo(&context, request, &info).ok());
  const model::ModelConfig& config = oracle_->config();
  EXPECT_EQ(info.architecture(), config.model_type);
  const v1::GenerationDefaults& defaults = info.generation_defaults();
  EXPECT_EQ(defaults.decoder_start_token_id(), config.decoder_start_token_id);
  EXPECT_EQ(defaults.forced_bos_token_id(), config.forced_bos_token_id);
  EXPECT_EQ(defaults.beam_size(), config.generation.num_beams);
  EXPECT_EQ(defaults.max_output_tokens(),
            oracle_->DefaultOptions().max_output_tokens);
  if (config.model_type == "bart") {
    EXPECT_EQ(defaults.forced_bos_token_id(), 0);  // <s>
    EXPECT_EQ(info.shape().positions(), "learned");
    EXPECT_FALSE(info.shape().normalize_before());
  } else {
    EXPECT_EQ(defaults.forced_bos_token_id(), -1);
    EXPECT_EQ(info.shape().norm(), "rms_norm");
    EXPECT_EQ(info.shape().positions(), "relative_buckets");
    EXPECT_EQ(info.shape().head_dim(),
              config.HeadDim(config.encoder_attention_heads));
  }
}

TEST_P(TextToTextTest, ConcurrentCallersGetTheEnginesAnswers) {
  struct Call {
    std::string text;
    v1::TranslateOptions options;
    v1::TranslateResponse response;
    grpc::Status status;
  };
  std::vector<Call> calls;
  for (const std::string& text : texts_) {
    for (int beam : {1, 4}) {
      Call call;
      call.text = text;
      call.options.set_beam_size(beam);
      call.options.set_num_hypotheses(beam == 4 ? 2 : 1);
      call.options.set_max_output_tokens(48);
      call.options.set_return_scores(true);
      calls.push_back(call);
    }
    Call repeated;
    repeated.text = text;
    repeated.options.set_no_repeat_ngram_size(2);
    repeated.options.set_repetition_penalty(1.3f);
    calls.push_back(repeated);
  }
  const int threads = 24;
  absl::Barrier* start = new absl::Barrier(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      if (start->Block()) delete start;
      for (size_t i = t; i < calls.size(); i += threads) {
        v1::TranslateRequest request;
        request.add_segments(calls[i].text);
        *request.mutable_options() = calls[i].options;
        grpc::ClientContext context;
        calls[i].status = server_->NewStub()->Translate(&context, request,
                                                        &calls[i].response);
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  for (const Call& call : calls) {
    ASSERT_TRUE(call.status.ok()) << call.status.error_message();
    const model::TranslationResult expected = Expected(call.text, call.options);
    ExpectSameTranslation(call.response.translations(0), expected,
                          call.text + " " + call.options.ShortDebugString());
    if (call.options.return_scores()) {
      ExpectSameScores(call.response.translations(0), expected);
    }
  }
}

TEST_P(TextToTextTest, GenerateStreamsWhatTranslateAnswers) {
  const int forced = oracle_->config().forced_bos_token_id;
  for (const std::string& text : texts_) {
    v1::GenerateRequest request;
    request.set_text(text);
    request.set_max_new_tokens(48);
    grpc::ClientContext context;
    auto stream = server_->NewStub()->Generate(&context, request);
    v1::GenerateResponse message;
    std::string streamed, result;
    std::vector<int> ids;
    while (stream->Read(&message)) {
      streamed += message.text();
      if (message.has_token()) ids.push_back(message.token().id());
      if (message.has_result()) result = message.result().text();
    }
    ASSERT_TRUE(stream->Finish().ok()) << text;
    EXPECT_EQ(streamed, result) << text;
    v1::TranslateOptions greedy;
    greedy.set_max_output_tokens(48);
    EXPECT_EQ(result, Expected(text, greedy).hypotheses[0].text) << text;
    ASSERT_FALSE(ids.empty());
    if (forced >= 0) {
      EXPECT_EQ(ids[0], forced) << text;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TextToTextTest,
                         ::testing::Values("tiny-bart", "tiny-t5",
                                           "tiny-flan-t5"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// A BART checkpoint whose generation_config.json carries summarization
// settings (bart-large-cnn's, scaled to the tiny model): a request that
// sets nothing decodes with them, and one that sets a field overrides it.
TEST(CheckpointDefaultsTest, GenerationConfigSettingsAreTheRequestDefaults) {
  const std::string dir = ::testing::TempDir() + "/bart-with-defaults";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(FixtureDir("tiny-bart"), dir);
  std::ofstream(dir + "/generation_config.json") << R"({
    "bos_token_id": 0, "decoder_start_token_id": 2, "eos_token_id": 2,
    "forced_bos_token_id": 0, "forced_eos_token_id": 2, "pad_token_id": 1,
    "num_beams": 3, "length_penalty": 2.0, "min_length": 6,
    "max_length": 30, "no_repeat_ngram_size": 2, "early_stopping": true})";
  auto oracle = LoadOracle(dir);
  ASSERT_NE(oracle, nullptr);
  const model::DecodingOptions defaults = oracle->DefaultOptions();
  EXPECT_EQ(defaults.beam_size, 3);
  EXPECT_EQ(defaults.min_output_tokens, 6);
  EXPECT_EQ(defaults.max_output_tokens, 29);  // max_length counts the start
  EXPECT_EQ(defaults.no_repeat_ngram_size, 2);
  EXPECT_TRUE(defaults.early_stopping);
  auto server = ServerProcess::Start({"--model=" + dir, "--http_port=-1"});
  ASSERT_TRUE(server.ok()) << server.status();
  v1::ModelInfo info;
  {
    grpc::ClientContext context;
    ASSERT_TRUE((*server)
                    ->NewStub()
                    ->GetModelInfo(&context, v1::GetModelInfoRequest(), &info)
                    .ok());
  }
  EXPECT_EQ(info.generation_defaults().beam_size(), 3);
  EXPECT_FLOAT_EQ(info.generation_defaults().length_penalty(), 2.0f);
  EXPECT_EQ(info.generation_defaults().min_output_tokens(), 6);
  EXPECT_TRUE(info.generation_defaults().early_stopping());
  int differs_from_greedy = 0;
  for (const std::string& text : FixtureTexts(FixtureDir("tiny-bart"))) {
    v1::TranslateRequest request;
    request.add_segments(text);
    v1::TranslateResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(
        (*server)->NewStub()->Translate(&context, request, &response).ok());
    auto expected = oracle->Translate({text}, defaults, 8);
    ASSERT_TRUE(expected.ok()) << expected.status();
    EXPECT_EQ(response.translations(0).hypotheses(0).text(),
              (*expected)[0].hypotheses[0].text);
    model::DecodingOptions greedy = defaults;
    greedy.beam_size = 1;
    greedy.min_output_tokens = 0;
    greedy.no_repeat_ngram_size = 0;
    greedy.early_stopping = false;
    greedy.length_penalty = 1.0f;
    auto plain = oracle->Translate({text}, greedy, 8);
    ASSERT_TRUE(plain.ok());
    differs_from_greedy +=
        (*plain)[0].hypotheses[0].text != (*expected)[0].hypotheses[0].text;
  }
  // The settings change answers, so a default that was lost would show.
  EXPECT_GT(differs_from_greedy, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace glossa::testing
