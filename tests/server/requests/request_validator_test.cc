// One test per row of the validation table in server/README.md (the rows
// that the validator owns; oversized messages and transport-level UTF-8
// are covered over a real channel in tests/integration).

#include "server/requests/request_validator.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/fake_engine.h"

namespace glossa::server {
namespace {

using testing::FakeConfig;
using testing::FakeEngine;
using ::testing::HasSubstr;

class RequestValidatorTest : public ::testing::Test {
 protected:
  RequestValidatorTest() : validator_(FakeEngine(), Limits(), "de-en") {}

  static RequestLimits Limits() {
    RequestLimits limits;
    limits.max_segments = 4;
    limits.max_input_tokens = 16;
    limits.max_output_tokens = 32;
    limits.max_beam_size = 4;
    limits.max_stop_sequences = 2;
    limits.max_stop_sequence_bytes = 8;
    return limits;
  }

  static v1::TranslateRequest Translate(std::vector<std::string> segments) {
    v1::TranslateRequest request;
    for (const std::string& segment : segments) request.add_segments(segment);
    return request;
  }

  // Expects INVALID_ARGUMENT whose message contains every fragment.
  static void ExpectInvalid(
      const absl::Status& status, std::vector<std::string> fragments,
      absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    EXPECT_EQ(status.code(), code) << status;
    for (const std::string& fragment : fragments) {
      EXPECT_THAT(std::string(status.message()), HasSubstr(fragment));
    }
  }

  RequestValidator validator_;
};

TEST_F(RequestValidatorTest, AcceptsAPlainRequestWithDefaults) {
  auto validated = validator_.ValidateTranslate(Translate({"Hallo"}));
  ASSERT_TRUE(validated.ok()) << validated.status();
  ASSERT_EQ(validated->segments.size(), 1u);
  EXPECT_EQ(validated->segments[0].ids.size(), 6u);
  EXPECT_EQ(validated->options.beam_size, 1);
  EXPECT_EQ(validated->options.num_hypotheses, 1);
  EXPECT_FALSE(validated->options.sampling);
  // The model's own default (max_length - 1), within the server limit.
  EXPECT_EQ(validated->options.max_output_tokens, 32);
}

TEST_F(RequestValidatorTest, EmptySegmentList) {
  ExpectInvalid(validator_.ValidateTranslate(Translate({})).status(),
                {"segments", "1 to 4", "got 0"});
}

TEST_F(RequestValidatorTest, TooManySegments) {
  ExpectInvalid(
      validator_.ValidateTranslate(Translate({"a", "b", "c", "d", "e"}))
          .status(),
      {"segments", "1 to 4", "got 5"});
}

TEST_F(RequestValidatorTest, BlankSegmentsAreAcceptedAndNotDecoded) {
  auto validated =
      validator_.ValidateTranslate(Translate({"", " \t\n", "Hallo"}));
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_TRUE(validated->segments[0].blank);
  EXPECT_TRUE(validated->segments[1].blank);
  EXPECT_FALSE(validated->segments[2].blank);
}

TEST_F(RequestValidatorTest, BlankGenerateTextIsRejected) {
  v1::GenerateRequest request;
  request.set_text("  \xC2\xA0 ");  // includes U+00A0 NO-BREAK SPACE
  ExpectInvalid(validator_.ValidateGenerate(request).status(),
                {"text", "non-whitespace"});
  request.set_text("");
  ExpectInvalid(validator_.ValidateGenerate(request).status(),
                {"text", "non-whitespace", "empty"});
}

TEST_F(RequestValidatorTest, InvalidUtf8) {
  ExpectInvalid(
      validator_.ValidateTranslate(Translate({"ok", "ab\xFF"})).status(),
      {"segments[1]", "UTF-8", "0xFF", "offset 2"});
  v1::GenerateRequest request;
  request.set_text("\xC3(");
  ExpectInvalid(validator_.ValidateGenerate(request).status(),
                {"text", "UTF-8", "0xC3", "offset 0"});
}

TEST_F(RequestValidatorTest, TextLongerThanMaxInputTokens) {
  ExpectInvalid(
      validator_.ValidateTranslate(Translate({"short", std::string(20, 'x')}))
          .status(),
      {"segments[1]", "21 tokens", "at most 16", "max_input_tokens"});
}

TEST_F(RequestValidatorTest, BeamSizeBelowOneOrOverTheLimit) {
  auto request = Translate({"a"});
  request.mutable_options()->set_beam_size(0);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.beam_size", "[1, 4]", "got 0"});
  request.mutable_options()->set_beam_size(5);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.beam_size", "[1, 4]", "got 5"});
}

TEST_F(RequestValidatorTest, NumHypothesesOverBeamSize) {
  auto request = Translate({"a"});
  request.mutable_options()->set_beam_size(2);
  request.mutable_options()->set_num_hypotheses(3);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.num_hypotheses", "[1, 2]", "beam_size", "got 3"});
}

TEST_F(RequestValidatorTest, NegativeTemperature) {
  auto request = Translate({"a"});
  request.mutable_options()->mutable_sampling()->set_temperature(-1);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.sampling.temperature", "(0, 100]", "got -1"});
}

TEST_F(RequestValidatorTest, TopPOutsideZeroOne) {
  auto request = Translate({"a"});
  request.mutable_options()->mutable_sampling()->set_top_p(0);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.sampling.top_p", "(0, 1]", "got 0"});
  request.mutable_options()->mutable_sampling()->set_top_p(1.5);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.sampling.top_p", "(0, 1]", "got 1.5"});
}

TEST_F(RequestValidatorTest, NegativeTopK) {
  v1::GenerateRequest request;
  request.set_text("a");
  request.mutable_sampling()->set_top_k(-1);
  ExpectInvalid(validator_.ValidateGenerate(request).status(),
                {"sampling.top_k", "[0, 259]", "got -1"});
}

TEST_F(RequestValidatorTest, MaxOutputTokensOutOfRange) {
  auto request = Translate({"a"});
  request.mutable_options()->set_max_output_tokens(0);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.max_output_tokens", "[1, 32]", "got 0"});
  // Unset: the model's default within the server's limit.
  request.mutable_options()->clear_max_output_tokens();
  EXPECT_EQ(validator_.ValidateTranslate(request)->options.max_output_tokens,
            32);
  request.mutable_options()->set_max_output_tokens(33);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.max_output_tokens", "[1, 32]", "got 33"});
  v1::GenerateRequest generate;
  generate.set_text("a");
  generate.set_max_new_tokens(1000);
  ExpectInvalid(validator_.ValidateGenerate(generate).status(),
                {"max_new_tokens", "[1, 32]", "got 1000"});
}

TEST_F(RequestValidatorTest, MinOverMax) {
  auto request = Translate({"a"});
  request.mutable_options()->set_max_output_tokens(5);
  request.mutable_options()->set_min_output_tokens(6);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.min_output_tokens", "[0, 5]", "got 6"});
}

TEST_F(RequestValidatorTest, RepetitionOptionsReachTheEngineAndAreChecked) {
  auto request = Translate({"a"});
  request.mutable_options()->set_repetition_penalty(1.3f);
  request.mutable_options()->set_no_repeat_ngram_size(3);
  request.mutable_options()->set_early_stopping(true);
  auto validated = validator_.ValidateTranslate(request);
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_FLOAT_EQ(validated->options.repetition_penalty, 1.3f);
  EXPECT_EQ(validated->options.no_repeat_ngram_size, 3);
  EXPECT_TRUE(validated->options.early_stopping);
  request.mutable_options()->set_repetition_penalty(-2);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.repetition_penalty", "(0, 100]", "got -2"});
  v1::GenerateRequest generate;
  generate.set_text("a");
  generate.set_no_repeat_ngram_size(99);
  ExpectInvalid(validator_.ValidateGenerate(generate).status(),
                {"no_repeat_ngram_size", "[0, 16]", "got 99"});
  generate.set_no_repeat_ngram_size(2);
  generate.set_repetition_penalty(1.2f);
  auto generated = validator_.ValidateGenerate(generate);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->options.no_repeat_ngram_size, 2);
  EXPECT_FLOAT_EQ(generated->options.repetition_penalty, 1.2f);
}

TEST_F(RequestValidatorTest, SamplingNeedsBeamSizeOne) {
  auto request = Translate({"a"});
  request.mutable_options()->set_beam_size(2);
  request.mutable_options()->mutable_sampling();
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.beam_size", "sampling", "got 2"});
}

TEST_F(RequestValidatorTest, LengthPenaltyOutOfRange) {
  auto request = Translate({"a"});
  request.mutable_options()->set_length_penalty(11);
  ExpectInvalid(validator_.ValidateTranslate(request).status(),
                {"options.length_penalty", "[-10, 10]", "got 11"});
}

TEST_F(RequestValidatorTest, StopSequences) {
  v1::GenerateRequest request;
  request.set_text("a");
  request.add_stop("x");
  request.add_stop("y");
  request.add_stop("z");
  ExpectInvalid(validator_.ValidateGenerate(request).status(),
                {"stop", "at most 2", "got 3"});
  request.clear_stop();
  request.add_stop("");
  ExpectInvalid(validator_.ValidateGenerate(request).status(),
                {"stop[0]", "[1, 8]", "got 0"});
}

TEST_F(RequestValidatorTest, SamplingDefaultsAndSeed) {
  v1::GenerateRequest request;
  request.set_text("a");
  request.mutable_sampling()->set_seed(42);
  auto validated = validator_.ValidateGenerate(request);
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_TRUE(validated->options.sampling);
  EXPECT_EQ(validated->options.seed, 42u);
  EXPECT_FLOAT_EQ(validated->options.temperature, 1.0f);
  EXPECT_FLOAT_EQ(validated->options.top_p, 1.0f);
  EXPECT_EQ(validated->options.top_k, 0);
}

TEST_F(RequestValidatorTest, DefaultBeamIsTheModelsWithinTheLimit) {
  model::ModelConfig config = FakeConfig();
  config.generation.num_beams = 3;
  RequestValidator validator(FakeEngine(config), Limits(), "m");
  auto request = Translate({"a"});
  EXPECT_EQ(validator.ValidateTranslate(request)->options.beam_size, 3);
  request.mutable_options()->mutable_sampling();
  EXPECT_EQ(validator.ValidateTranslate(request)->options.beam_size, 1);
  config.generation.num_beams = 6;  // over max_beam_size 4
  RequestValidator capped(FakeEngine(config), Limits(), "m");
  EXPECT_EQ(capped.ValidateTranslate(Translate({"a"}))->options.beam_size, 4);
}

TEST_F(RequestValidatorTest, LimitsAreCappedByTheModel) {
  RequestLimits limits;
  limits.max_input_tokens = 10000;
  limits.max_output_tokens = 10000;
  RequestValidator validator(FakeEngine(), limits, "m");
  EXPECT_EQ(validator.limits().max_input_tokens, 64);
  EXPECT_EQ(validator.limits().max_output_tokens, 64);
}

}  // namespace
}  // namespace glossa::server
