// Translate over a real channel against the real server: results equal the
// engine's own (engine), alone or among 32 concurrent callers, in both
// batching modes.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "gtest/gtest.h"
#include "tests/integration/oracle.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

const std::vector<std::string>& Inputs() {
  static const auto* inputs = new std::vector<std::string>{
      "Ein kleiner Test.",
      "Guten Morgen!",
      "Die Datei wurde nicht gefunden.",
      "Wir haben gestern Abend in einem kleinen Restaurant gegessen.",
      "Ja",
      "Klicken Sie auf die Schaltfläche, um die Einstellungen zu öffnen.",
  };
  return *inputs;
}

// Option sets that exercise every decoding path.
std::vector<v1::TranslateOptions> OptionSets() {
  std::vector<v1::TranslateOptions> sets(6);
  sets[1].set_min_output_tokens(12);
  sets[1].set_max_output_tokens(20);
  sets[2].set_beam_size(4);
  sets[2].set_num_hypotheses(2);
  sets[3].set_beam_size(3);
  sets[3].set_length_penalty(0.6f);
  sets[3].set_min_output_tokens(5);
  sets[4].mutable_sampling()->set_seed(7);
  sets[4].set_max_output_tokens(30);
  sets[5].mutable_sampling()->set_seed(11);
  sets[5].mutable_sampling()->set_temperature(0.8f);
  sets[5].mutable_sampling()->set_top_k(50);
  sets[5].mutable_sampling()->set_top_p(0.9f);
  for (v1::TranslateOptions& options : sets) options.set_return_scores(true);
  return sets;
}

class TranslateTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { oracle_ = LoadOracle(FixtureModelDir()); }
  static void TearDownTestSuite() { oracle_.reset(); }
  void SetUp() override {
    auto server = ServerProcess::Start(
        {"--batching=" + GetParam(), "--max_queue_delay_ms=2"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_NE(oracle_, nullptr);
  }

  static std::shared_ptr<const model::Engine> oracle_;
  std::unique_ptr<ServerProcess> server_;
};

std::shared_ptr<const model::Engine> TranslateTest::oracle_;

// Every option set of OptionSets() through the server equals `oracle`
// decoding alone; with `scores_and_usage`, the scores and token counts too.
void ExpectAnswersOf(v1::Glossa::Stub& stub, const model::Engine& oracle,
                     bool scores_and_usage) {
  const std::vector<v1::TranslateOptions> sets = OptionSets();
  for (size_t s = 0; s < sets.size(); ++s) {
    v1::TranslateRequest request = TranslateRequestOf(Inputs());
    *request.mutable_options() = sets[s];
    v1::TranslateResponse response;
    auto context = ContextWithTimeout();
    const grpc::Status status =
        stub.Translate(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    auto expected = oracle.Translate(Inputs(), EngineOptions(sets[s], oracle),
                                     /*batch=*/1);
    ASSERT_TRUE(expected.ok()) << expected.status();
    ASSERT_EQ(response.translations_size(), static_cast<int>(Inputs().size()));
    int64_t input_tokens = 0, output_tokens = 0;
    for (size_t i = 0; i < Inputs().size(); ++i) {
      ExpectSameTranslation(
          response.translations(i), (*expected)[i],
          "options set " + std::to_string(s) + ", input " + std::to_string(i));
      if (scores_and_usage) {
        ExpectSameScores(response.translations(i), (*expected)[i]);
      }
      input_tokens += (*expected)[i].input_tokens;
      output_tokens += (*expected)[i].output_tokens;
    }
    if (scores_and_usage) {
      EXPECT_EQ(response.usage().input_tokens(), input_tokens);
      EXPECT_EQ(response.usage().output_tokens(), output_tokens);
      EXPECT_EQ(response.model(), "tiny-swish");
    }
  }
}

TEST_P(TranslateTest, ResultsEqualTheEngine) {
  auto stub = server_->NewStub();
  ExpectAnswersOf(*stub, *oracle_, /*scores_and_usage=*/true);
}

// An int8 server answers what the int8 engine computes alone, for every
// decoding path, with its requests batched together.
TEST(TranslateInt8Test, AnInt8ServerAnswersAsTheInt8Engine) {
  auto oracle = LoadOracle(FixtureModelDir(), model::ComputeType::kInt8);
  ASSERT_NE(oracle, nullptr);
  auto server = ServerProcess::Start({"--compute_type=int8"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = (*server)->NewStub();
  ExpectAnswersOf(*stub, *oracle, /*scores_and_usage=*/false);
  v1::ModelInfo info;
  auto context = ContextWithTimeout();
  ASSERT_TRUE(
      stub->GetModelInfo(context.get(), v1::GetModelInfoRequest(), &info).ok());
  EXPECT_EQ(info.compute_type(), "int8");
}

TEST_P(TranslateTest, ThirtyTwoConcurrentCallersGetWhatTheyGetAlone) {
  constexpr int kCallers = 32;
  const std::vector<v1::TranslateOptions> sets = OptionSets();
  std::vector<v1::TranslateRequest> requests(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    std::vector<std::string> segments;
    for (int j = 0; j <= i % 3; ++j) {
      segments.push_back(Inputs()[(i + j) % Inputs().size()]);
    }
    requests[i] = TranslateRequestOf(segments);
    *requests[i].mutable_options() = sets[i % sets.size()];
  }
  auto stub = server_->NewStub();
  std::vector<v1::TranslateResponse> alone(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    auto context = ContextWithTimeout();
    ASSERT_TRUE(stub->Translate(context.get(), requests[i], &alone[i]).ok());
  }
  std::vector<v1::TranslateResponse> together(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  absl::Barrier* barrier = new absl::Barrier(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      auto own_stub = server_->NewStub();
      if (barrier->Block()) delete barrier;
      auto context = ContextWithTimeout();
      statuses[i] =
          own_stub->Translate(context.get(), requests[i], &together[i]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kCallers; ++i) {
    SCOPED_TRACE("caller " + std::to_string(i));
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    ASSERT_EQ(together[i].translations_size(), alone[i].translations_size());
    for (int t = 0; t < alone[i].translations_size(); ++t) {
      const v1::Translation& a = alone[i].translations(t);
      const v1::Translation& b = together[i].translations(t);
      ASSERT_EQ(a.hypotheses_size(), b.hypotheses_size());
      for (int h = 0; h < a.hypotheses_size(); ++h) {
        EXPECT_EQ(a.hypotheses(h).text(), b.hypotheses(h).text());
        EXPECT_NEAR(a.hypotheses(h).score(), b.hypotheses(h).score(),
                    1e-4 * std::max(1.0f, std::abs(a.hypotheses(h).score())));
      }
    }
  }
  // The calls really shared decoder steps.
  const std::optional<double> single =
      server_->Metric("glossa_step_rows_bucket{le=\"1\"}");
  const std::optional<double> steps = server_->Metric("glossa_step_rows_count");
  ASSERT_TRUE(single.has_value() && steps.has_value());
  EXPECT_LT(*single, *steps);
}

TEST_P(TranslateTest, BlankSegmentsKeepTheirPlace) {
  auto stub = server_->NewStub();
  v1::TranslateRequest request =
      TranslateRequestOf({"", Inputs()[0], " \t ", Inputs()[1]});
  v1::TranslateResponse response;
  auto context = ContextWithTimeout();
  ASSERT_TRUE(stub->Translate(context.get(), request, &response).ok());
  ASSERT_EQ(response.translations_size(), 4);
  auto expected = oracle_->Translate({Inputs()[0], Inputs()[1]},
                                     EngineOptions({}, *oracle_));
  ASSERT_TRUE(expected.ok());
  for (int blank : {0, 2}) {
    const v1::Translation& t = response.translations(blank);
    ASSERT_EQ(t.hypotheses_size(), 1);
    EXPECT_EQ(t.hypotheses(0).text(), "");
    EXPECT_EQ(t.input_tokens(), 0);
    EXPECT_EQ(t.output_tokens(), 0);
  }
  ExpectSameTranslation(response.translations(1), (*expected)[0], "first");
  ExpectSameTranslation(response.translations(3), (*expected)[1], "second");

  // Only blank segments: answered without the model.
  v1::TranslateResponse blank_only;
  auto context2 = ContextWithTimeout();
  ASSERT_TRUE(
      stub->Translate(context2.get(), TranslateRequestOf({" "}), &blank_only)
          .ok());
  EXPECT_EQ(blank_only.translations(0).hypotheses(0).text(), "");
}

TEST_P(TranslateTest, ModelInfoAndList) {
  auto stub = server_->NewStub();
  v1::ModelInfo info;
  auto context = ContextWithTimeout();
  ASSERT_TRUE(
      stub->GetModelInfo(context.get(), v1::GetModelInfoRequest(), &info).ok());
  EXPECT_EQ(info.name(), "tiny-swish");
  EXPECT_EQ(info.architecture(), "marian");
  EXPECT_EQ(info.vocab_size(), oracle_->config().vocab_size);
  EXPECT_EQ(info.shape().d_model(), oracle_->config().d_model);
  EXPECT_EQ(info.shape().activation(), "swish");
  EXPECT_EQ(info.compute_type(), "float32");
  EXPECT_EQ(info.limits().max_segments(), 64);
  EXPECT_GT(info.limits().max_input_tokens(), 0);

  v1::ListModelsResponse list;
  auto context2 = ContextWithTimeout();
  ASSERT_TRUE(
      stub->ListModels(context2.get(), v1::ListModelsRequest(), &list).ok());
  ASSERT_EQ(list.models_size(), 1);
  EXPECT_EQ(list.models(0).name(), "tiny-swish");

  v1::GetModelInfoRequest unknown;
  unknown.set_model("xx-yy");
  auto context3 = ContextWithTimeout();
  EXPECT_EQ(stub->GetModelInfo(context3.get(), unknown, &info).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

INSTANTIATE_TEST_SUITE_P(BatchingModes, TranslateTest,
                         ::testing::Values("continuous", "request"));

}  // namespace
}  // namespace glossa::testing
