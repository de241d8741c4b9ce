// Controlled decoding over a real channel with the bundled model: target
// prefixes (Translate and Generate), terminology constraints in beam search
// on held-out sentences (every term met, the unconstrained segment batched
// beside it unchanged), and per-token log-probabilities.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

std::vector<std::string> ReadLines(const std::string& name) {
  std::ifstream file(
      absl::StrCat(GLOSSA_SOURCE_DIR, "/tools/data/heldout/", name));
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

// Words of `text`: runs of ASCII letters.
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : text + " ") {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      word += c;
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  return words;
}

class ControlledDecodingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The bundled model: the tiny fixture translates too poorly to show
    // whether a term lands in a sensible place.
    auto server = ServerProcess::Start(
        {absl::StrCat("--model=", GLOSSA_SOURCE_DIR, "/models/de-en")});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { stub_ = server_->NewStub(); }

  grpc::Status Call(const v1::TranslateRequest& request,
                    v1::TranslateResponse* response) {
    auto context = ContextWithTimeout();
    return stub_->Translate(context.get(), request, response);
  }
  v1::TranslateResponse Translate(const v1::TranslateRequest& request) {
    v1::TranslateResponse response;
    const grpc::Status status = Call(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  std::string Best(const v1::TranslateResponse& response, int segment) {
    if (response.translations_size() <= segment ||
        response.translations(segment).hypotheses_size() == 0) {
      return "<missing>";
    }
    return response.translations(segment).hypotheses(0).text();
  }
  static v1::TranslateRequest Beam(std::vector<std::string> segments,
                                   int beam_size = 4) {
    v1::TranslateRequest request = TranslateRequestOf(segments);
    request.mutable_options()->set_beam_size(beam_size);
    return request;
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

ServerProcess* ControlledDecodingTest::server_ = nullptr;

TEST_F(ControlledDecodingTest, TargetPrefixStartsEveryOutput) {
  const std::vector<std::string> segments = {
      "Das Haus ist klein.", "Ich habe einen Hund.", "Der Computer ist neu."};
  for (const int beam_size : {1, 4}) {
    v1::TranslateRequest request = Beam(segments, beam_size);
    request.mutable_options()->set_num_hypotheses(beam_size > 1 ? 2 : 1);
    request.add_target_prefix("The building");
    request.add_target_prefix("");
    request.add_target_prefix("My old");
    const v1::TranslateResponse response = Translate(request);
    ASSERT_EQ(response.translations_size(), 3);
    for (const v1::Hypothesis& h : response.translations(0).hypotheses()) {
      EXPECT_THAT(h.text(), ::testing::StartsWith("The building"))
          << "beam " << beam_size;
    }
    for (const v1::Hypothesis& h : response.translations(2).hypotheses()) {
      EXPECT_THAT(h.text(), ::testing::StartsWith("My old"))
          << "beam " << beam_size;
    }
    // The segment without a prefix is what it is alone.
    EXPECT_EQ(Best(response, 1),
              Best(Translate(Beam({segments[1]}, beam_size)), 0));
    // The prefix is a start, not the whole output: decoding continues.
    EXPECT_GT(Best(response, 0).size(), std::string("The building").size());
  }
}

TEST_F(ControlledDecodingTest, GenerateStreamsTheTargetPrefix) {
  v1::GenerateRequest request;
  request.set_text("Das Haus ist klein.");
  request.set_target_prefix("The building");
  auto context = ContextWithTimeout();
  auto reader = stub_->Generate(context.get(), request);
  v1::GenerateResponse message;
  std::string streamed;
  int tokens = 0;
  std::string result;
  while (reader->Read(&message)) {
    streamed += message.text();
    if (message.has_token()) ++tokens;
    if (message.has_result()) result = message.result().text();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(result, ::testing::StartsWith("The building"));
  EXPECT_EQ(streamed, result);
  EXPECT_GT(tokens, 2);
}

// Generate with beams streams what became final; all together it is the
// unary beam result token for token.
TEST_F(ControlledDecodingTest, GenerateWithBeamsStreamsTheBeamResult) {
  const std::vector<std::string> german = ReadLines("test.de");
  int compared = 0;
  for (size_t i = 0; i < german.size() && compared < 12; ++i) {
    if (german[i].size() > 160) continue;
    ++compared;
    v1::TranslateRequest unary = Beam({german[i]});
    unary.mutable_options()->set_return_token_logprobs(true);
    const v1::TranslateResponse translated = Translate(unary);
    ASSERT_EQ(translated.translations_size(), 1);
    const v1::Hypothesis& best = translated.translations(0).hypotheses(0);

    v1::GenerateRequest request;
    request.set_text(german[i]);
    request.set_beam_size(4);
    auto context = ContextWithTimeout();
    auto reader = stub_->Generate(context.get(), request);
    v1::GenerateResponse message;
    std::vector<int> ids;
    std::string streamed, result;
    while (reader->Read(&message)) {
      streamed += message.text();
      if (message.has_token()) {
        EXPECT_EQ(message.token().index(), static_cast<int>(ids.size()));
        ids.push_back(message.token().id());
      }
      if (message.has_result()) result = message.result().text();
    }
    ASSERT_TRUE(reader->Finish().ok()) << german[i];
    std::vector<int> expected;
    for (const v1::Token& token : best.tokens()) expected.push_back(token.id());
    EXPECT_EQ(ids, expected) << german[i];
    EXPECT_EQ(result, best.text()) << german[i];
    EXPECT_EQ(streamed, result);
  }
  v1::GenerateRequest sampled;
  sampled.set_text("Das Haus.");
  sampled.set_beam_size(4);
  sampled.mutable_sampling()->set_seed(1);
  auto context = ContextWithTimeout();
  auto reader = stub_->Generate(context.get(), sampled);
  v1::GenerateResponse message;
  while (reader->Read(&message)) {
  }
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("beam_size must be 1 when sampling"));
}

// The acceptance test of terminology: on held-out sentences, each request
// holds a sentence with a term whose source occurs only in it, and the
// next sentence, which the term does not apply to. The term is a word of
// the reference translation that the unconstrained output lacks.
TEST_F(ControlledDecodingTest, TerminologyIsMetOnHeldOutSentences) {
  const std::vector<std::string> german = ReadLines("test.de");
  const std::vector<std::string> english = ReadLines("test.en");
  ASSERT_EQ(german.size(), english.size());
  int applied = 0, met = 0, unchanged = 0, pairs = 0;
  // How much longer terms make the output (filler after a finished
  // sentence would show here).
  size_t free_bytes = 0, constrained_bytes = 0;
  for (size_t i = 0; i + 1 < german.size() && pairs < 60; ++i) {
    const std::string& sentence = german[i];
    const std::string& partner = german[i + 1];
    if (sentence.size() > 200 || partner.size() > 200) continue;
    const v1::TranslateResponse alone = Translate(Beam({sentence, partner}));
    const std::string free_output = Best(alone, 0);
    std::string target, source;
    for (const std::string& word : Words(english[i])) {
      if (word.size() >= 4 && word.size() > target.size() &&
          !absl::StrContains(absl::AsciiStrToLower(free_output),
                             absl::AsciiStrToLower(word))) {
        target = word;
      }
    }
    for (const std::string& word : Words(sentence)) {
      if (word.size() >= 4 && word.size() > source.size() &&
          !absl::StrContains(partner, word)) {
        source = word;
      }
    }
    if (target.empty() || source.empty()) continue;
    ++pairs;
    v1::TranslateRequest request = Beam({sentence, partner});
    v1::Term* term = request.mutable_options()->add_terminology();
    term->set_source(source);
    term->set_target(target);
    const v1::TranslateResponse response = Translate(request);
    ASSERT_EQ(response.translations_size(), 2) << sentence;
    const v1::Translation& constrained = response.translations(0);
    ASSERT_EQ(constrained.terms_size(), 1) << sentence;
    ++applied;
    const bool in_text = absl::StrContains(Best(response, 0), target);
    EXPECT_TRUE(constrained.terms(0).met() && in_text)
        << sentence << " | term " << source << "=" << target << " | "
        << Best(response, 0);
    if (constrained.terms(0).met() && in_text) ++met;
    free_bytes += free_output.size() + target.size();
    constrained_bytes += Best(response, 0).size();
    EXPECT_EQ(response.translations(1).terms_size(), 0);
    EXPECT_EQ(Best(response, 1), Best(alone, 1)) << partner;
    if (Best(response, 1) == Best(alone, 1)) ++unchanged;
  }
  std::printf(
      "terminology: %d of %d terms met (beam 4), %d of %d unconstrained "
      "neighbours unchanged; constrained outputs are %.2fx the bytes of the "
      "free ones plus their term\n",
      met, applied, unchanged, pairs,
      static_cast<double>(constrained_bytes) /
          static_cast<double>(std::max<size_t>(free_bytes, 1)));
  EXPECT_GE(pairs, 50);
  EXPECT_EQ(met, applied);
}

TEST_F(ControlledDecodingTest, SeveralTermsAndMultiTokenTermsAreAllMet) {
  v1::TranslateRequest request =
      Beam({"Ich habe einen Hund und eine Katze.", "Das Wetter ist schön."}, 6);
  for (const auto& [source, target] :
       std::vector<std::pair<std::string, std::string>>{
           {"Hund", "puppy"}, {"Katze", "tomcat"}, {"", "indeed"}}) {
    v1::Term* term = request.mutable_options()->add_terminology();
    term->set_source(source);
    term->set_target(target);
  }
  const v1::TranslateResponse response = Translate(request);
  ASSERT_EQ(response.translations_size(), 2);
  // The target-only term applies to both segments.
  ASSERT_EQ(response.translations(0).terms_size(), 3);
  ASSERT_EQ(response.translations(1).terms_size(), 1);
  EXPECT_EQ(response.translations(1).terms(0).term(), 2);
  for (const char* word : {"puppy", "tomcat", "indeed"}) {
    EXPECT_THAT(Best(response, 0), ::testing::HasSubstr(word));
  }
  EXPECT_THAT(Best(response, 1), ::testing::HasSubstr("indeed"));
  for (const v1::Translation& t : response.translations()) {
    for (const v1::AppliedTerm& term : t.terms()) EXPECT_TRUE(term.met());
  }
}

TEST_F(ControlledDecodingTest, TokenLogprobsAddUpToTheScore) {
  for (const int beam_size : {1, 4}) {
    v1::TranslateRequest request =
        Beam({"Das ist ein kleiner Test.", "Wie geht es dir?"}, beam_size);
    request.mutable_options()->set_return_token_logprobs(true);
    request.mutable_options()->set_return_scores(true);
    request.mutable_options()->set_length_penalty(0.0f);  // score = sum
    const v1::TranslateResponse response = Translate(request);
    for (const v1::Translation& translation : response.translations()) {
      const v1::Hypothesis& best = translation.hypotheses(0);
      ASSERT_EQ(best.tokens_size(), best.num_tokens());
      double sum = 0.0;
      for (int t = 0; t < best.tokens_size(); ++t) {
        EXPECT_EQ(best.tokens(t).index(), t);
        EXPECT_LE(best.tokens(t).logprob(), 0.0f);
        sum += best.tokens(t).logprob();
      }
      // The score also holds the end-of-sentence token's log-probability.
      EXPECT_LE(best.score(), sum + 1e-3) << "beam " << beam_size;
      EXPECT_GT(best.score(), sum - 20.0) << "beam " << beam_size;
    }
  }
}

// A target prefix is forced, not chosen: it adds nothing to the score under
// greedy or beam search, so one text scores the same by either.
TEST_F(ControlledDecodingTest, ATargetPrefixAddsNothingToTheScore) {
  std::vector<std::pair<std::string, float>> results;
  for (const int beam_size : {1, 4}) {
    v1::TranslateRequest request = Beam({"Hallo."}, beam_size);
    request.add_target_prefix("Good day");
    request.mutable_options()->set_return_scores(true);
    request.mutable_options()->set_length_penalty(0.0f);
    const v1::TranslateResponse response = Translate(request);
    results.emplace_back(Best(response, 0),
                         response.translations(0).hypotheses(0).score());
  }
  ASSERT_EQ(results[0].first, results[1].first);  // "Good day." by both
  EXPECT_NEAR(results[0].second, results[1].second, 1e-3);
  EXPECT_GT(results[0].second, -5.0f);  // the prefix's own cost is not in it
}

// Word alignments: every link's ranges lie in their texts, and on a
// hand-checked sentence the content words align to their translations.
TEST_F(ControlledDecodingTest, AlignmentsLinkTheTranslatedWords) {
  const std::vector<std::string> segments = {"Das Haus ist klein.",
                                             "Ich habe heute keine Zeit."};
  for (const int beam_size : {1, 4}) {
    v1::TranslateRequest request = Beam(segments, beam_size);
    request.mutable_options()->set_return_alignments(true);
    const v1::TranslateResponse response = Translate(request);
    ASSERT_EQ(response.translations_size(), 2);
    std::vector<std::string> pairs;
    for (int s = 0; s < 2; ++s) {
      const v1::Hypothesis& best = response.translations(s).hypotheses(0);
      ASSERT_EQ(best.alignments_size(), best.num_tokens());
      for (int t = 0; t < best.alignments_size(); ++t) {
        const v1::AlignmentLink& link = best.alignments(t);
        EXPECT_EQ(link.target_token(), t);
        ASSERT_LE(link.source_begin(), link.source_end());
        ASSERT_LE(link.source_end(), static_cast<int>(segments[s].size()));
        ASSERT_LE(link.target_begin(), link.target_end());
        ASSERT_LE(link.target_end(), static_cast<int>(best.text().size()));
        pairs.push_back(absl::StrCat(
            segments[s].substr(link.source_begin(),
                               link.source_end() - link.source_begin()),
            "=",
            best.text().substr(link.target_begin(),
                               link.target_end() - link.target_begin())));
      }
    }
    for (const char* pair : {"Haus=house", "klein=small", "Zeit=time"}) {
      EXPECT_THAT(pairs, ::testing::Contains(pair)) << "beam " << beam_size;
    }
  }
  v1::TranslateRequest bad = Beam({"Das Haus."});
  bad.mutable_options()->set_return_alignments(true);
  bad.mutable_options()->set_alignment_layer(99);
  v1::TranslateResponse response;
  const grpc::Status status = Call(bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("options.alignment_layer must be in"));
}

TEST_F(ControlledDecodingTest, GreedyTokensListTheirAlternatives) {
  v1::TranslateRequest request =
      Beam({"Das ist ein kleiner Test.", "Wie geht es dir?"}, 1);
  request.mutable_options()->set_return_token_logprobs(true);
  request.mutable_options()->set_token_alternatives(3);
  const v1::TranslateResponse response = Translate(request);
  int first_choice = 0, tokens = 0;
  for (const v1::Translation& translation : response.translations()) {
    for (const v1::Token& token : translation.hypotheses(0).tokens()) {
      ++tokens;
      ASSERT_EQ(token.alternatives_size(), 3);
      for (int a = 1; a < 3; ++a) {
        EXPECT_LE(token.alternatives(a).logprob(),
                  token.alternatives(a - 1).logprob());
      }
      EXPECT_FALSE(token.alternatives(0).text().empty());
      // Greedy takes the first alternative unless a rule moved it.
      if (token.alternatives(0).id() == token.id()) {
        ++first_choice;
        EXPECT_NEAR(token.alternatives(0).logprob(), token.logprob(), 1e-5);
      }
    }
  }
  EXPECT_GE(first_choice, tokens - 1);
  request.mutable_options()->set_beam_size(4);
  v1::TranslateResponse refused;
  const grpc::Status status = Call(request, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("options.token_alternatives needs greedy"));
}

TEST_F(ControlledDecodingTest, BadControlsAreRejectedWithAReason) {
  const auto expect_invalid = [&](const v1::TranslateRequest& request,
                                  const std::string& says) {
    v1::TranslateResponse response;
    const grpc::Status status = Call(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << says;
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr(says));
    EXPECT_LE(status.error_message().size(), 512u);
  };
  v1::TranslateRequest greedy = Beam({"Das Haus."}, 1);
  greedy.mutable_options()->add_terminology()->set_target("building");
  expect_invalid(greedy, "options.terminology needs beam search");

  v1::TranslateRequest count = Beam({"Das Haus.", "Ein Hund."});
  count.add_target_prefix("The");
  expect_invalid(count, "target_prefix must be empty or hold one entry");

  v1::TranslateRequest empty_target = Beam({"Das Haus."});
  empty_target.mutable_options()->add_terminology()->set_source("Haus");
  expect_invalid(empty_target, "options.terminology[0].target must contain");

  v1::TranslateRequest long_term = Beam({"Das Haus."});
  long_term.mutable_options()->add_terminology()->set_target(
      std::string(300, 'a'));
  expect_invalid(long_term,
                 "options.terminology[0].target must be at most 256");

  v1::TranslateRequest many = Beam({"Das Haus."});
  for (int i = 0; i < 17; ++i) {
    many.mutable_options()->add_terminology()->set_target("word");
  }
  expect_invalid(many, "at most 16 terms");

  // A term or prefix the target vocabulary cannot spell: refused, never
  // decoded as unknown tokens.
  v1::TranslateRequest unspellable = Beam({"Das Haus."});
  unspellable.mutable_options()->add_terminology()->set_target("\u2603");
  expect_invalid(unspellable,
                 "options.terminology[0].target '\u2603': the model's target "
                 "vocabulary has no piece");
  v1::TranslateRequest unspellable_prefix = Beam({"Das Haus."});
  unspellable_prefix.add_target_prefix("\u2603 x");
  expect_invalid(unspellable_prefix, "target_prefix[0]");

  v1::TranslateRequest bad_utf8 = Beam({"Das Haus."});
  bad_utf8.add_target_prefix("The \xff");
  expect_invalid(bad_utf8, "target_prefix[0]");

  v1::TranslateRequest too_long = Beam({"Das Haus."});
  too_long.mutable_options()->set_max_output_tokens(3);
  too_long.add_target_prefix("The very big old house");
  expect_invalid(too_long, "max_output_tokens must be at least");

  v1::TranslateRequest no_room = Beam({"Das Haus."});
  no_room.mutable_options()->set_max_output_tokens(3);
  no_room.mutable_options()->add_terminology()->set_target(
      "extraordinarily complicated terminology");
  expect_invalid(no_room, "options.terminology (segments[0]) need");

  // A term no_repeat_ngram_size forbids could never be written.
  v1::TranslateRequest repeats = Beam({"Das Haus ist klein."});
  repeats.mutable_options()->set_no_repeat_ngram_size(1);
  repeats.mutable_options()->add_terminology()->set_target("building building");
  expect_invalid(repeats, "which options.no_repeat_ngram_size 1 forbids");

  // A blank segment is not translated: its prefix would be lost.
  v1::TranslateRequest blank = Beam({"  ", "Das Haus."});
  blank.add_target_prefix("Hello");
  blank.add_target_prefix("");
  expect_invalid(blank, "target_prefix[0] is set but segments[0] is blank");

  // The server still serves after all of them.
  EXPECT_NE(Best(Translate(Beam({"Das Haus ist klein."})), 0), "<missing>");
}

}  // namespace
}  // namespace glossa::testing
