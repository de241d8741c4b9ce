// The engine facade's rules of a request: one check of a source text, one
// definition of blank, one set of option defaults, one token count.
#include "model/engine.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/families/family.h"
#include "model/io/safetensors_reader.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

namespace fs = std::filesystem;
using ::glossa::testing::FixtureDir;
using ::glossa::testing::MakeTempDir;
using ::glossa::testing::ReadFile;
using ::glossa::testing::WriteFile;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Sentences of the fixture's training domain, long enough that the tiny
// model does not end them within a few tokens.
const std::vector<std::string> kSentences = {
    "the software is free and you can change it",
    "this program comes with absolutely no warranty",
    "see the license for more details about the terms"};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Load(FixtureDir("tiny-swish"));
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  // A copy of the fixture with config.json and generation_config.json
  // edited alike.
  std::string EditedCopy(const std::function<void(json&)>& edit) {
    const std::string dir = MakeTempDir() + "/model";
    fs::copy(FixtureDir("tiny-swish"), dir);
    for (const char* file : {"config.json", "generation_config.json"}) {
      json config = json::parse(ReadFile(dir + "/" + file));
      edit(config);
      WriteFile(dir + "/" + file, config.dump());
    }
    temp_dirs_.push_back(fs::path(dir).parent_path());
    return dir;
  }
  void TearDown() override {
    for (const fs::path& dir : temp_dirs_) fs::remove_all(dir);
  }

  std::shared_ptr<const Engine> engine_;
  std::vector<fs::path> temp_dirs_;
};

TEST_F(EngineTest, CheckSourceTokenizesValidText) {
  auto source = engine_->CheckSource("text", "the software is free", 64);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_FALSE(source->blank);
  ASSERT_FALSE(source->ids.empty());
  EXPECT_EQ(source->ids.back(), engine_->config().eos_token_id);
}

TEST_F(EngineTest, CheckSourceRejectsInvalidUtf8WithTheOneMessage) {
  for (const char* bad :
       {"abc\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf"}) {
    const absl::Status status =
        engine_->CheckSource("segments[3]", bad, 64).status();
    EXPECT_EQ(status, base::CheckUtf8("segments[3]", bad)) << bad;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(EngineTest, BlankIsUnicodeWhiteSpaceEverywhere) {
  // ASCII and Unicode white space (no-break space, ideographic space, em
  // space) are blank for the engine as for base::IsBlank.
  for (const char* blank :
       {"", " \t\r\n", "\xC2\xA0", "\xE3\x80\x80 \xE2\x80\x83"}) {
    ASSERT_TRUE(base::IsBlank(blank));
    auto source = engine_->CheckSource("text", blank, 64);
    ASSERT_TRUE(source.ok()) << source.status();
    EXPECT_TRUE(source->blank) << blank;
    EXPECT_TRUE(source->ids.empty());
  }
  DecodingOptions options = engine_->DefaultOptions();
  options.beam_size = 1;
  auto results =
      engine_->Translate({"\xC2\xA0\xE3\x80\x80", "the software"}, options);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ((*results)[0].hypotheses.size(), 1u);
  EXPECT_EQ((*results)[0].hypotheses[0].text, "");
  EXPECT_EQ((*results)[0].output_tokens, 0);
  EXPECT_GT((*results)[1].output_tokens, 0);
}

TEST_F(EngineTest, CheckSourceBoundsLength) {
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "word ";
  const absl::Status too_long =
      engine_->CheckSource("texts[0]", long_text, 1000).status();
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  // The caller's limit cannot raise the model's (max_position_embeddings).
  EXPECT_THAT(too_long.message(),
              AllOf(HasSubstr("texts[0]"), HasSubstr("at most 128")));
  EXPECT_THAT(engine_->CheckSource("text", "a b c d e f", 3).status().message(),
              HasSubstr("at most 3"));
}

TEST_F(EngineTest, CheckSourceRefusesHugeTextBeforeTokenizing) {
  // 4 MB of words would be ~800k tokens; the byte bound refuses it before
  // UTF-8 validation or tokenization (the message counts bytes).
  std::string huge;
  while (huge.size() < (4u << 20)) huge += "word ";
  const absl::Status status =
      engine_->CheckSource("segments[0]", huge, 16).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("segments[0] is 4194305 bytes long"),
                    HasSubstr("at most 1024 bytes")));
  // Invalid UTF-8 that long is refused for its length, not echoed.
  EXPECT_THAT(engine_->CheckSource("text", std::string(5000, '\xFF'), 16)
                  .status()
                  .message(),
              HasSubstr("5000 bytes long"));
  // A text within the bound still gets the token count's verdict.
  EXPECT_THAT(
      engine_->CheckSource("text", "a b c d e f g h", 4).status().message(),
      HasSubstr("at most 4 (max_input_tokens)"));
}

TEST_F(EngineTest, NonFiniteScoresFailTheRequestInsteadOfReturningText) {
  // Weights handed over by a TensorSource (no file check on the way) with
  // infinities in the decoder's last feed-forward layer: every logit comes
  // out NaN. The run-time guard must turn that into an error, not text.
  const std::string dir = FixtureDir("tiny-swish");
  auto config = ReadModelConfig(dir);
  ASSERT_TRUE(config.ok()) << config.status();
  auto reader = SafetensorsReader::Open(dir + "/model.safetensors");
  ASSERT_TRUE(reader.ok()) << reader.status();
  const TensorSource weights = (*reader)->AsTensorSource();
  const TensorSource overflowing = [&](const std::string& name,
                                       const std::vector<int64_t>& shape)
      -> absl::StatusOr<std::vector<float>> {
    auto values = weights(name, shape);
    if (values.ok() && name == "model.decoder.layers.1.fc2.weight") {
      for (float& v : *values) {
        v = std::copysign(std::numeric_limits<float>::infinity(), v);
      }
    }
    return values;
  };
  auto model = Model::FromTensors(*config, BartStyleLayout(), overflowing);
  ASSERT_TRUE(model.ok()) << model.status();
  auto engine =
      Engine::Create(*config, *std::move(model), engine_->tokenizer_ptr(), dir);
  ASSERT_TRUE(engine.ok()) << engine.status();
  for (int beam : {1, 3}) {
    DecodingOptions options = (*engine)->DefaultOptions();
    options.beam_size = beam;
    const absl::Status status =
        (*engine)->Translate({"the software is free"}, options).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << beam;
    EXPECT_THAT(status.message(), HasSubstr("non-finite")) << beam;
  }
}

TEST_F(EngineTest, DefaultOptionsAreTheModelsWithinLimits) {
  const DecodingOptions defaults = engine_->DefaultOptions();
  EXPECT_EQ(defaults.beam_size, 4);            // config num_beams
  EXPECT_EQ(defaults.max_output_tokens, 127);  // max_length 128 - start
  const DecodingOptions capped = engine_->DefaultOptions({2, 10});
  EXPECT_EQ(capped.beam_size, 2);
  EXPECT_EQ(capped.max_output_tokens, 10);
  // The one validator, with the caller's limits.
  DecodingOptions options = capped;
  options.beam_size = 3;
  EXPECT_THAT(engine_->ValidateOptions(options, {2, 10}).message(),
              HasSubstr("beam_size must be in [1, 2], got 3"));
  options = capped;
  options.max_output_tokens = 0;  // "not set" is not a length
  EXPECT_THAT(engine_->ValidateOptions(options, {2, 10}).message(),
              HasSubstr("max_output_tokens must be in [1, 10], got 0"));
}

TEST_F(EngineTest, OutputTokensCountTheEndOfSentenceStepOnlyWhenTaken) {
  Hypothesis eos{{5, 6}, 0.0f, /*ended_with_eos=*/true};
  Hypothesis cut{{5, 6}, 0.0f, /*ended_with_eos=*/false};
  EXPECT_EQ(Engine::OutputTokens(eos), 3);
  EXPECT_EQ(Engine::OutputTokens(cut), 2);
}

// At the length limit, the default config forces EOS as the last token (it
// counts); with forced_eos_token_id null the limit cuts the output and no
// EOS step happens, so the count is the limit itself. Greedy and beam.
TEST_F(EngineTest, OutputTokensAtTheLengthLimit) {
  const std::string unforced =
      EditedCopy([](json& c) { c["forced_eos_token_id"] = nullptr; });
  auto cut_engine = Engine::Load(unforced);
  ASSERT_TRUE(cut_engine.ok()) << cut_engine.status();
  ASSERT_EQ((*cut_engine)->config().forced_eos_token_id, -1);
  for (int beam : {1, 3}) {
    DecodingOptions options = engine_->DefaultOptions();
    options.beam_size = beam;
    options.max_output_tokens = 4;
    auto forced = engine_->Translate(kSentences, options);
    auto cut = (*cut_engine)->Translate(kSentences, options);
    ASSERT_TRUE(forced.ok()) << forced.status();
    ASSERT_TRUE(cut.ok()) << cut.status();
    int limited = 0;
    for (size_t i = 0; i < kSentences.size(); ++i) {
      const TranslationHypothesis& best = (*cut)[i].hypotheses.front();
      if (best.token_ids.size() < 4) continue;  // ended by itself
      ++limited;
      EXPECT_EQ((*cut)[i].output_tokens, 4) << kSentences[i];
      EXPECT_EQ((*forced)[i].output_tokens, 4) << kSentences[i];
      EXPECT_EQ((*forced)[i].hypotheses.front().token_ids.size(), 3u);
    }
    EXPECT_GT(limited, 0) << "no sentence reached the limit; pick longer ones";
  }
}

TEST_F(EngineTest, RefusesATokenizerThatDoesNotFitTheModel) {
  // vocab.json puts </s> at 0 and <pad> at 401; the config disagrees on
  // both, and every mismatch is named in one message.
  const std::string dir = EditedCopy([](json& c) {
    c["eos_token_id"] = 2;
    c["pad_token_id"] = 3;
    c["decoder_start_token_id"] = 3;
  });
  const absl::Status status = Engine::Load(dir).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr(dir), HasSubstr("does not fit"),
                    HasSubstr("</s> at 0"), HasSubstr("eos_token_id 2"),
                    HasSubstr("<pad> at 401"), HasSubstr("pad_token_id 3")));
}

TEST_F(EngineTest, TranslateRejectsBadOptionsAndText) {
  DecodingOptions options = engine_->DefaultOptions();
  options.beam_size = 0;
  EXPECT_THAT(engine_->Translate({"ok"}, options).status().message(),
              HasSubstr("beam_size"));
  EXPECT_EQ(engine_->Translate({"ok \xff"}, engine_->DefaultOptions())
                .status()
                .message(),
            "texts[0] is not valid UTF-8 (byte 0xFF at offset 3)");
}

}  // namespace
}  // namespace glossa::model
