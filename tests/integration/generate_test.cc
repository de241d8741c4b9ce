// Generate over a real channel: stream order, the final message, equality
// with the engine's greedy and sampled output, stop sequences.

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/oracle.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

struct Stream {
  std::vector<v1::GenerateResponse> messages;
  grpc::Status status;
};

Stream RunGenerate(v1::Glossa::Stub& stub, const v1::GenerateRequest& request) {
  Stream stream;
  auto context = ContextWithTimeout();
  auto reader = stub.Generate(context.get(), request);
  v1::GenerateResponse response;
  while (reader->Read(&response)) stream.messages.push_back(response);
  stream.status = reader->Finish();
  return stream;
}

class GenerateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    oracle_ = LoadOracle(FixtureModelDir());
    auto server = ServerProcess::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    oracle_.reset();
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(oracle_, nullptr);
    stub_ = server_->NewStub();
  }

  static std::shared_ptr<const model::Engine> oracle_;
  static ServerProcess* server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

std::shared_ptr<const model::Engine> GenerateTest::oracle_;
ServerProcess* GenerateTest::server_ = nullptr;

TEST_F(GenerateTest, StreamsEveryTokenInOrderThenTheResult) {
  v1::GenerateRequest request;
  request.set_text("Ein kleiner Test.");
  request.set_min_new_tokens(12);
  request.set_max_new_tokens(24);
  const Stream stream = RunGenerate(*stub_, request);
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  ASSERT_GE(stream.messages.size(), 2u);

  model::DecodingOptions options;
  options.min_output_tokens = 12;
  options.max_output_tokens = 24;
  auto expected = oracle_->Translate({request.text()}, options);
  ASSERT_TRUE(expected.ok());
  const model::TranslationHypothesis& best = (*expected)[0].hypotheses[0];

  std::string concatenated;
  std::vector<int> ids;
  for (size_t i = 0; i + 1 < stream.messages.size(); ++i) {
    const v1::GenerateResponse& message = stream.messages[i];
    ASSERT_TRUE(message.has_token()) << "message " << i;
    EXPECT_FALSE(message.has_result());
    EXPECT_EQ(message.token().index(), static_cast<int>(i));
    EXPECT_LE(message.token().logprob(), 0.0f);
    ids.push_back(message.token().id());
    concatenated += message.text();
  }
  const v1::GenerateResponse& last = stream.messages.back();
  ASSERT_TRUE(last.has_result());
  EXPECT_FALSE(last.has_token());
  concatenated += last.text();
  EXPECT_EQ(ids, best.token_ids);
  EXPECT_EQ(concatenated, last.result().text());
  EXPECT_EQ(last.result().text(), best.text);
  EXPECT_EQ(last.result().usage().output_tokens(),
            static_cast<int64_t>(ids.size()) + 1);
  EXPECT_EQ(last.result().usage().input_tokens(), (*expected)[0].input_tokens);
  // Below the limit only the model's own EOS ends a sequence; at the limit
  // EOS is forced, and counts as the model's only if it ranked first.
  const bool at_limit = static_cast<int>(ids.size()) + 1 == 24;
  if (!at_limit) {
    EXPECT_EQ(last.result().finish_reason(), v1::FINISH_REASON_EOS);
  } else {
    EXPECT_NE(last.result().finish_reason(), v1::FINISH_REASON_STOP);
  }
}

TEST_F(GenerateTest, LengthLimitIsTheFinishReason) {
  v1::GenerateRequest request;
  request.set_text("Guten Morgen!");
  request.set_min_new_tokens(10);
  request.set_max_new_tokens(10);
  const Stream stream = RunGenerate(*stub_, request);
  ASSERT_TRUE(stream.status.ok());
  const v1::GenerateResult& result = stream.messages.back().result();
  EXPECT_EQ(result.finish_reason(), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(stream.messages.size(), 10u);  // 9 tokens + the final message
  EXPECT_EQ(result.usage().output_tokens(), 10);
}

TEST_F(GenerateTest, SamplingMatchesTheEngineAndIsReproducible) {
  v1::GenerateRequest request;
  request.set_text("Die Datei wurde nicht gefunden.");
  request.set_max_new_tokens(40);
  request.mutable_sampling()->set_seed(1234);
  request.mutable_sampling()->set_temperature(1.2f);
  const Stream first = RunGenerate(*stub_, request);
  const Stream second = RunGenerate(*stub_, request);
  ASSERT_TRUE(first.status.ok() && second.status.ok());
  const v1::GenerateResult& a = first.messages.back().result();
  EXPECT_EQ(a.text(), second.messages.back().result().text());
  EXPECT_EQ(a.seed(), 1234u);

  model::DecodingOptions options;
  options.sampling = true;
  options.seed = 1234;
  options.temperature = 1.2f;
  options.max_output_tokens = 40;
  auto expected = oracle_->Translate({request.text()}, options);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(a.text(), (*expected)[0].hypotheses[0].text);

  // Without a seed the server picks one and reports it.
  request.mutable_sampling()->clear_seed();
  const Stream unseeded = RunGenerate(*stub_, request);
  ASSERT_TRUE(unseeded.status.ok());
  request.mutable_sampling()->set_seed(
      unseeded.messages.back().result().seed());
  const Stream replay = RunGenerate(*stub_, request);
  EXPECT_EQ(unseeded.messages.back().result().text(),
            replay.messages.back().result().text());
}

TEST_F(GenerateTest, StopSequenceEndsTheTextBeforeIt) {
  // Find what the model says, then stop in its middle.
  v1::GenerateRequest request;
  request.set_text("Ein kleiner Test.");
  request.set_min_new_tokens(20);
  request.set_max_new_tokens(30);
  const Stream full = RunGenerate(*stub_, request);
  ASSERT_TRUE(full.status.ok());
  const std::string text = full.messages.back().result().text();
  ASSERT_GE(text.size(), 8u) << "the fixture's output is too short: " << text;
  const std::string stop = text.substr(text.size() / 2, 3);
  const size_t expected_end = text.find(stop);

  request.add_stop(stop);
  request.add_stop("\x01never");
  const Stream stopped = RunGenerate(*stub_, request);
  ASSERT_TRUE(stopped.status.ok());
  const v1::GenerateResult& result = stopped.messages.back().result();
  EXPECT_EQ(result.finish_reason(), v1::FINISH_REASON_STOP);
  EXPECT_EQ(result.text(), text.substr(0, expected_end));
  EXPECT_EQ(result.stop(), stop);
  std::string concatenated;
  for (const v1::GenerateResponse& message : stopped.messages) {
    concatenated += message.text();
  }
  EXPECT_EQ(concatenated, result.text());
  EXPECT_LT(stopped.messages.size(), full.messages.size());
}

}  // namespace
}  // namespace glossa::testing
