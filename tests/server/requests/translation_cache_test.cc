#include "server/requests/translation_cache.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::server {
namespace {

using ::testing::HasSubstr;

v1::Translation TranslationOf(const std::string& text) {
  v1::Translation translation;
  translation.add_hypotheses()->set_text(text);
  translation.set_input_tokens(3);
  translation.set_output_tokens(4);
  return translation;
}

TEST(TranslationCacheTest, EveryInputOfTheOutputIsInTheKey) {
  model::DecodingOptions options;
  const std::vector<int> ids = {5, 6, 0};
  const std::string key = TranslationCache::Key(1, options, false, ids);
  EXPECT_EQ(TranslationCache::Key(1, options, false, ids), key);
  EXPECT_NE(TranslationCache::Key(2, options, false, ids), key);  // version
  EXPECT_NE(TranslationCache::Key(1, options, true, ids), key);   // scores
  EXPECT_NE(TranslationCache::Key(1, options, false, {5, 0}), key);
  const auto changed = [&](auto change) {
    model::DecodingOptions other = options;
    change(other);
    return TranslationCache::Key(1, other, false, ids) != key;
  };
  EXPECT_TRUE(changed([](auto& o) { o.beam_size = 4; }));
  EXPECT_TRUE(changed([](auto& o) { o.num_hypotheses = 2; }));
  EXPECT_TRUE(changed([](auto& o) { o.length_penalty = 0.5f; }));
  EXPECT_TRUE(changed([](auto& o) { o.max_output_tokens = 7; }));
  EXPECT_TRUE(changed([](auto& o) { o.min_output_tokens = 2; }));
  EXPECT_TRUE(changed([](auto& o) { o.sampling = true; }));
  EXPECT_TRUE(changed([](auto& o) { o.temperature = 0.7f; }));
  EXPECT_TRUE(changed([](auto& o) { o.top_k = 5; }));
  EXPECT_TRUE(changed([](auto& o) { o.top_p = 0.9f; }));
  EXPECT_TRUE(changed([](auto& o) { o.seed = 42; }));
  EXPECT_TRUE(changed([](auto& o) { o.forced_prefix = {9}; }));
  EXPECT_TRUE(changed([](auto& o) { o.repetition_penalty = 1.2f; }));
  EXPECT_TRUE(changed([](auto& o) { o.no_repeat_ngram_size = 3; }));
  EXPECT_TRUE(changed([](auto& o) { o.early_stopping = true; }));
  EXPECT_TRUE(changed([](auto& o) { o.target_prefix = {9}; }));
  EXPECT_TRUE(changed([](auto& o) { o.constraints = {{9, 10}}; }));
  EXPECT_TRUE(changed([](auto& o) { o.constraints = {{9}, {10}}; }));
  EXPECT_TRUE(changed([](auto& o) { o.return_alignments = true; }));
  EXPECT_TRUE(changed([](auto& o) { o.alignment_layer = 1; }));
  EXPECT_TRUE(changed([](auto& o) { o.token_alternatives = 3; }));
  EXPECT_NE(TranslationCache::Key(1, options, false, ids, true), key);
}

TEST(TranslationCacheTest, HitsReturnWhatWasStoredAndCount) {
  auto metrics = Metrics::Create("");
  ASSERT_TRUE(metrics.ok());
  TranslationCache cache(1 << 20, metrics->get());
  EXPECT_FALSE(cache.Lookup("a", "m").has_value());
  cache.Insert("a", TranslationOf("x"));
  const std::optional<v1::Translation> hit = cache.Lookup("a", "m");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->SerializeAsString(), TranslationOf("x").SerializeAsString());
  cache.Insert("a", TranslationOf("y"));  // replaces
  EXPECT_EQ(cache.Lookup("a", "m")->hypotheses(0).text(), "y");
  EXPECT_EQ(cache.size(), 1u);
  const std::string text = (*metrics)->Render();
  EXPECT_THAT(text,
              HasSubstr("glossa_translation_cache_hits_total{model=\"m\"} 2"));
  EXPECT_THAT(
      text, HasSubstr("glossa_translation_cache_misses_total{model=\"m\"} 1"));
  EXPECT_THAT(text, HasSubstr("glossa_translation_cache_entries 1"));
}

TEST(TranslationCacheTest, TheLeastRecentlyUsedGoFirstToStayInTheBudget) {
  auto metrics = Metrics::Create("");
  ASSERT_TRUE(metrics.ok());
  TranslationCache probe(1 << 20, nullptr);
  probe.Insert("k0", TranslationOf("t"));
  const int64_t entry = probe.bytes();
  TranslationCache cache(3 * entry + entry / 2, metrics->get());  // 3 fit
  for (int i = 0; i < 3; ++i) {
    cache.Insert(absl::StrCat("k", i), TranslationOf("t"));
  }
  EXPECT_TRUE(cache.Lookup("k0", "m").has_value());  // k1 is now the oldest
  cache.Insert("k3", TranslationOf("t"));
  EXPECT_FALSE(cache.Lookup("k1", "m").has_value());
  EXPECT_TRUE(cache.Lookup("k0", "m").has_value());
  EXPECT_TRUE(cache.Lookup("k3", "m").has_value());
  EXPECT_LE(cache.bytes(), cache.max_bytes());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_THAT((*metrics)->Render(),
              HasSubstr("glossa_translation_cache_evictions_total 1"));
  // Larger than the whole budget: not stored, nothing evicted for it.
  cache.Insert("huge", TranslationOf(std::string(10 * entry, 'x')));
  EXPECT_FALSE(cache.Lookup("huge", "m").has_value());
  EXPECT_EQ(cache.size(), 3u);
}

}  // namespace
}  // namespace glossa::server
