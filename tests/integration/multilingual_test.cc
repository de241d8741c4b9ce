// A multilingual model (the tiny NLLB-200 fixture) served over a real
// channel: languages in GetModelInfo, target languages chosen per request
// and decoded side by side in one continuous batch, each answer equal to the
// engine's own, and the language errors a caller can act on.

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

using ::testing::HasSubstr;

struct Sentence {
  std::string text;
  std::string source_language;
  std::string target_language;
};

class MultilingualTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(FixtureDir("tiny-nllb"));
    oracle_ = LoadOracle(*dir_);
    std::ifstream in(*dir_ + "/reference.json");
    const nlohmann::json reference = nlohmann::json::parse(in);
    sentences_ = new std::vector<Sentence>();
    for (const auto& sentence : reference["sentences"]) {
      sentences_->push_back({sentence["text"], sentence["source_language"],
                             sentence["target_language"]});
    }
  }
  static void TearDownTestSuite() {
    oracle_.reset();
    delete sentences_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(oracle_, nullptr);
    auto server =
        ServerProcess::Start({"--model=" + *dir_, "--model_name=tiny-nllb",
                              "--http_port=-1", "--max_queue_delay_ms=5"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // The engine's own answer for `text` into `target`.
  static std::string Expected(const std::string& text,
                              const std::string& source,
                              const std::string& target, int beam_size) {
    model::DecodingOptions options = oracle_->DefaultOptions();
    options.beam_size = beam_size;
    model::LanguageRequest languages;
    languages.source = source;
    languages.target = target;
    auto results = oracle_->Translate({text}, options, 8, languages);
    EXPECT_TRUE(results.ok()) << results.status();
    return results.ok() ? (*results)[0].hypotheses[0].text : "";
  }

  grpc::Status Translate(const std::string& text, const std::string& source,
                         const std::string& target, int beam_size,
                         v1::TranslateResponse* response) {
    v1::TranslateRequest request;
    request.add_segments(text);
    request.set_source_language(source);
    request.set_target_language(target);
    request.mutable_options()->set_beam_size(beam_size);
    grpc::ClientContext context;
    return server_->NewStub()->Translate(&context, request, response);
  }

  static std::string* dir_;
  static std::shared_ptr<const model::Engine> oracle_;
  static std::vector<Sentence>* sentences_;
  std::unique_ptr<ServerProcess> server_;
};

std::string* MultilingualTest::dir_ = nullptr;
std::shared_ptr<const model::Engine> MultilingualTest::oracle_;
std::vector<Sentence>* MultilingualTest::sentences_ = nullptr;

TEST_F(MultilingualTest, ModelInfoListsTheLanguages) {
  v1::GetModelInfoRequest request;
  v1::ModelInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(server_->NewStub()->GetModelInfo(&context, request, &info).ok());
  EXPECT_EQ(info.architecture(), "m2m_100");
  const model::LanguageTokens& languages = oracle_->languages();
  ASSERT_EQ(info.languages_size(), static_cast<int>(languages.codes.size()));
  for (int i = 0; i < info.languages_size(); ++i) {
    EXPECT_EQ(info.languages(i).code(), languages.codes[i]);
    EXPECT_FALSE(info.languages(i).name().empty());
  }
  EXPECT_EQ(info.default_source_language(), languages.default_source);
  EXPECT_TRUE(info.source_language().empty());
}

// 32 callers at once, every sentence into every target language, greedy
// and beam 4: the scheduler decodes different forced first tokens in one
// batch, and each answer equals the engine's alone.
TEST_F(MultilingualTest, TargetsSideBySideEqualSoloAnswers) {
  const std::vector<std::string>& codes = oracle_->languages().codes;
  struct Call {
    std::string text, source, target;
    int beam = 1;
    std::string expected, served;
    grpc::Status status;
  };
  std::vector<Call> calls;
  for (const Sentence& sentence : *sentences_) {
    for (const std::string& target : codes) {
      for (int beam : {1, 4}) {
        Call call;
        call.text = sentence.text;
        call.source = sentence.source_language;
        call.target = target;
        call.beam = beam;
        call.expected =
            Expected(sentence.text, sentence.source_language, target, beam);
        calls.push_back(std::move(call));
      }
    }
  }
  const int threads = 32;
  absl::Barrier* start = new absl::Barrier(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      if (start->Block()) delete start;
      for (size_t i = t; i < calls.size(); i += threads) {
        v1::TranslateResponse response;
        calls[i].status = Translate(calls[i].text, calls[i].source,
                                    calls[i].target, calls[i].beam, &response);
        if (calls[i].status.ok()) {
          calls[i].served = response.translations(0).hypotheses(0).text();
        }
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  int differing_by_target = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(calls[i].status.ok()) << calls[i].status.error_message();
    EXPECT_EQ(calls[i].served, calls[i].expected)
        << calls[i].text << " -> " << calls[i].target << " beam "
        << calls[i].beam;
    if (i >= 2 && calls[i].text == calls[i - 2].text &&
        calls[i].expected != calls[i - 2].expected) {
      ++differing_by_target;
    }
  }
  // The target language changes the output (the fixture's task depends on
  // it), so a forced token lost or swapped in the batch would show.
  EXPECT_GT(differing_by_target, 0);
}

// repetition_penalty, no_repeat_ngram_size and early_stopping travel from
// the request to the engine: over the channel, each answer equals the
// engine's own with the same options (whose outputs
// tests/model/decoding/option_parity_test.cc holds to the reference), and
// the options change some of them.
TEST_F(MultilingualTest, RepetitionOptionsOverTheChannelEqualTheEngines) {
  int changed = 0;
  for (const Sentence& sentence : *sentences_) {
    for (int beam : {1, 4}) {
      model::DecodingOptions options = oracle_->DefaultOptions();
      options.beam_size = beam;
      options.no_repeat_ngram_size = 1;
      options.repetition_penalty = 1.3f;
      options.early_stopping = beam > 1;
      model::LanguageRequest languages;
      languages.source = sentence.source_language;
      languages.target = sentence.target_language;
      auto expected =
          oracle_->Translate({sentence.text}, options, 8, languages);
      ASSERT_TRUE(expected.ok()) << expected.status();

      v1::TranslateRequest request;
      request.add_segments(sentence.text);
      request.set_source_language(sentence.source_language);
      request.set_target_language(sentence.target_language);
      v1::TranslateOptions* o = request.mutable_options();
      o->set_beam_size(beam);
      o->set_no_repeat_ngram_size(1);
      o->set_repetition_penalty(1.3f);
      o->set_early_stopping(beam > 1);
      v1::TranslateResponse response;
      grpc::ClientContext context;
      const grpc::Status status =
          server_->NewStub()->Translate(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      const std::string served = response.translations(0).hypotheses(0).text();
      EXPECT_EQ(served, (*expected)[0].hypotheses[0].text) << sentence.text;
      if (served != Expected(sentence.text, sentence.source_language,
                             sentence.target_language, beam)) {
        ++changed;
      }
    }
  }
  EXPECT_GT(changed, 0);
}

TEST_F(MultilingualTest, AliasesMeanTheModelsCodes) {
  const Sentence& sentence = sentences_->front();
  v1::TranslateResponse by_code, by_alias;
  ASSERT_TRUE(Translate(sentence.text, sentence.source_language,
                        sentence.target_language, 1, &by_code)
                  .ok());
  const std::string alias = sentence.target_language.substr(0, 2);
  const grpc::Status status =
      Translate(sentence.text, sentence.source_language, alias, 1, &by_alias);
  ASSERT_TRUE(status.ok()) << alias << ": " << status.error_message();
  EXPECT_EQ(by_alias.translations(0).hypotheses(0).text(),
            by_code.translations(0).hypotheses(0).text());
}

TEST_F(MultilingualTest, LanguageErrorsSayWhatToDo) {
  v1::TranslateResponse response;
  grpc::Status status = Translate("Hello", "", "", 1, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("target_language is required"));
  EXPECT_THAT(status.error_message(), HasSubstr("GetModelInfo lists them"));

  const std::string near_miss = oracle_->languages().codes[0] + "x";
  status = Translate("Hello", "", near_miss, 1, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("target_language '" + near_miss +
                        "' is not a language "
                        "of this model"));
  EXPECT_THAT(status.error_message(),
              HasSubstr("closest: " + oracle_->languages().codes[0]));

  status = Translate("Hello", "xx_Yyyy", oracle_->languages().codes[0], 1,
                     &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("source_language 'xx_Yyyy'"));

  // Generate takes the same fields and the same rules.
  v1::GenerateRequest generate;
  generate.set_text("Hello");
  grpc::ClientContext context;
  auto stream = server_->NewStub()->Generate(&context, generate);
  v1::GenerateResponse message;
  while (stream->Read(&message)) {
  }
  status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("target_language is required"));
}

TEST_F(MultilingualTest, GenerateStreamsTheTranslationIntoTheTarget) {
  for (const Sentence& sentence : *sentences_) {
    v1::GenerateRequest request;
    request.set_text(sentence.text);
    request.set_source_language(sentence.source_language);
    request.set_target_language(sentence.target_language);
    grpc::ClientContext context;
    auto stream = server_->NewStub()->Generate(&context, request);
    v1::GenerateResponse message;
    std::string streamed, result;
    bool first = true;
    while (stream->Read(&message)) {
      streamed += message.text();
      if (message.has_result()) result = message.result().text();
      if (message.has_token() && first) {
        // The forced target-language code comes first.
        EXPECT_EQ(message.token().id(),
                  oracle_
                      ->ResolveLanguages(
                          {sentence.source_language, sentence.target_language})
                      ->forced_target[0]);
        first = false;
      }
    }
    ASSERT_TRUE(stream->Finish().ok());
    EXPECT_EQ(streamed, result);
    EXPECT_EQ(result, Expected(sentence.text, sentence.source_language,
                               sentence.target_language, 1));
  }
}

}  // namespace
}  // namespace glossa::testing
