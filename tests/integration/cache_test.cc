// The translation cache over a real channel: a hit is what the miss was and
// skips the scheduler; a changed option, a new model version or a request
// that opts out never gets a stored answer; sampling without a seed is
// never cached.
#include <stdlib.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

const std::vector<std::string>& Sentences() {
  static const auto* sentences = new std::vector<std::string>{
      "Guten Morgen!", "Das ist ein kleiner Test.", "Wie geht es dir heute?"};
  return *sentences;
}

class CacheTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    // On (the tests' servers start without it); a test's flag wins.
    flags.insert(flags.begin(), "--translation_cache_bytes=1048576");
    auto server = ServerProcess::Start(std::move(flags));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = server_->NewStub();
  }

  v1::TranslateResponse Call(v1::TranslateRequest request) {
    auto context = ContextWithTimeout();
    v1::TranslateResponse response;
    const grpc::Status status =
        stub_->Translate(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  v1::TranslateResponse Call(const std::vector<std::string>& segments,
                             const v1::TranslateOptions& options = {}) {
    v1::TranslateRequest request = TranslateRequestOf(segments);
    *request.mutable_options() = options;
    return Call(std::move(request));
  }
  // Whether each segment came from the cache.
  static std::vector<bool> Cached(const v1::TranslateResponse& response) {
    std::vector<bool> cached;
    for (const v1::Translation& t : response.translations()) {
      cached.push_back(t.cached());
    }
    return cached;
  }
  // The response as a miss would have it.
  static std::string Uncached(v1::TranslateResponse response) {
    for (v1::Translation& t : *response.mutable_translations()) {
      t.clear_cached();
    }
    return response.SerializeAsString();
  }
  double Steps() {
    return server_->Metric("glossa_step_rows_count").value_or(0);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

TEST_F(CacheTest, AHitIsTheMissAndSkipsTheScheduler) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::TranslateOptions options;
  options.set_beam_size(2);
  options.set_num_hypotheses(2);
  options.set_return_scores(true);
  const v1::TranslateResponse miss = Call(Sentences(), options);
  EXPECT_THAT(Cached(miss), ::testing::Each(false));
  const double steps = Steps();
  ASSERT_GT(steps, 0);
  const v1::TranslateResponse hit = Call(Sentences(), options);
  EXPECT_THAT(Cached(hit), ::testing::Each(true));
  EXPECT_EQ(Uncached(hit), miss.SerializeAsString());  // scores, usage too
  EXPECT_EQ(Steps(), steps);  // no decoder step ran for it
  // Labelled with the model that answered.
  const std::string label = absl::StrCat("{model=\"", miss.model(), "\"}");
  ASSERT_FALSE(miss.model().empty());
  EXPECT_EQ(server_->Metric("glossa_translation_cache_hits_total" + label), 3);
  EXPECT_EQ(server_->Metric("glossa_translation_cache_misses_total" + label),
            3);
  EXPECT_GT(server_->Metric("glossa_translation_cache_bytes").value_or(0), 0);

  // Half known: the known one from the cache, the new one decoded as it
  // would be alone.
  const v1::TranslateResponse mixed =
      Call({Sentences()[0], "Ich lese ein Buch."}, options);
  EXPECT_EQ(Cached(mixed), (std::vector<bool>{true, false}));
  options.set_use_cache(false);
  const v1::TranslateResponse fresh = Call({"Ich lese ein Buch."}, options);
  EXPECT_EQ(Cached(fresh), std::vector<bool>{false});
  EXPECT_EQ(mixed.translations(1).SerializeAsString(),
            fresh.translations(0).SerializeAsString());
}

TEST_F(CacheTest, AnOptionThatChangesTheOutputIsAnotherEntry) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Call(Sentences());  // greedy, no scores
  v1::TranslateOptions options;
  for (const auto& change : std::vector<std::function<void()>>{
           [&] { options.set_beam_size(3); },
           [&] { options.set_return_scores(true); },
           [&] { options.set_max_output_tokens(4); },
           [&] { options.set_length_penalty(0.5f); },
           [&] { options.set_no_repeat_ngram_size(2); }}) {
    change();
    EXPECT_THAT(Cached(Call(Sentences(), options)), ::testing::Each(false));
    EXPECT_THAT(Cached(Call(Sentences(), options)), ::testing::Each(true));
  }
  // Opting out: neither read nor written.
  options.set_use_cache(false);
  options.set_beam_size(5);
  EXPECT_THAT(Cached(Call(Sentences(), options)), ::testing::Each(false));
  EXPECT_THAT(Cached(Call(Sentences(), options)), ::testing::Each(false));
}

TEST_F(CacheTest, SamplingIsCachedOnlyWithASeed) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::TranslateOptions options;
  options.mutable_sampling()->set_temperature(1.5f);
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(Cached(Call(Sentences(), options)), ::testing::Each(false));
  }
  options.mutable_sampling()->set_seed(7);
  const v1::TranslateResponse first = Call(Sentences(), options);
  const v1::TranslateResponse again = Call(Sentences(), options);
  EXPECT_THAT(Cached(again), ::testing::Each(true));
  EXPECT_EQ(Uncached(again), first.SerializeAsString());
  EXPECT_EQ(again.translations(0).seed(), 7u);
  options.mutable_sampling()->set_seed(8);
  EXPECT_THAT(Cached(Call(Sentences(), options)), ::testing::Each(false));
}

// A new version of a model (here another checkpoint under the same name)
// never answers from the old version's entries, nor does the old one come
// back when its files are loaded again: every load is a new version.
TEST_F(CacheTest, ANewModelVersionNeverServesAStaleEntry) {
  ASSERT_NO_FATAL_FAILURE(Start({"--model_name=m"}));
  const v1::TranslateResponse before = Call(Sentences());
  EXPECT_THAT(Cached(Call(Sentences())), ::testing::Each(true));
  const auto load = [&](const std::string& path) {
    v1::LoadModelRequest request;
    request.set_model("m");
    request.set_path(path);
    auto context = ContextWithTimeout();
    v1::ModelInfo info;
    const grpc::Status status = stub_->LoadModel(context.get(), request, &info);
    ASSERT_TRUE(status.ok()) << status.error_message();
  };
  ASSERT_NO_FATAL_FAILURE(
      load(absl::StrCat(GLOSSA_SOURCE_DIR, "/models/de-en")));
  const v1::TranslateResponse other = Call(Sentences());
  EXPECT_THAT(Cached(other), ::testing::Each(false));
  EXPECT_NE(other.translations(0).hypotheses(0).text(),
            before.translations(0).hypotheses(0).text());
  ASSERT_NO_FATAL_FAILURE(load(FixtureModelDir()));
  const v1::TranslateResponse back = Call(Sentences());
  EXPECT_THAT(Cached(back), ::testing::Each(false));
  EXPECT_EQ(back.SerializeAsString(), before.SerializeAsString());
}

TEST_F(CacheTest, TheBudgetHoldsAndZeroTurnsItOff) {
  ASSERT_NO_FATAL_FAILURE(Start({"--translation_cache_bytes=2000"}));
  for (int i = 0; i < 40; ++i) Call({absl::StrCat("Satz Nummer ", i, ".")});
  EXPECT_LE(server_->Metric("glossa_translation_cache_bytes").value_or(1e9),
            2000);
  EXPECT_GT(
      server_->Metric("glossa_translation_cache_evictions_total").value_or(0),
      0);
  ASSERT_NO_FATAL_FAILURE(Start({"--translation_cache_bytes=0"}));
  Call(Sentences());
  EXPECT_THAT(Cached(Call(Sentences())), ::testing::Each(false));
}

}  // namespace
}  // namespace glossa::testing
