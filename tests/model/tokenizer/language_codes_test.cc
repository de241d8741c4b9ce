#include "model/tokenizer/language_codes.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::model {
namespace {

using ::testing::HasSubstr;

LanguageTokens Codes(std::vector<std::string> codes) {
  LanguageTokens languages;
  languages.scheme = LanguageTokens::Scheme::kSourceAndForcedTarget;
  for (size_t i = 0; i < codes.size(); ++i) {
    languages.ids.push_back(1000 + static_cast<int>(i));
  }
  languages.codes = std::move(codes);
  return languages;
}

// A slice of NLLB-200's codes, in its order.
LanguageTokens Nllb() {
  return Codes({"arb_Arab", "ary_Arab", "deu_Latn", "eng_Latn", "fra_Latn",
                "nob_Latn", "nno_Latn", "pes_Arab", "srp_Cyrl", "zho_Hans",
                "zho_Hant"});
}

std::string Resolved(const LanguageTokens& languages, const std::string& name) {
  absl::StatusOr<int> index =
      ResolveLanguage(languages, "target_language", name);
  if (!index.ok()) return std::string(index.status().message());
  return languages.codes[*index];
}

TEST(ResolveLanguageTest, ModelCodesExactlyOrIgnoringCase) {
  EXPECT_EQ(Resolved(Nllb(), "deu_Latn"), "deu_Latn");
  EXPECT_EQ(Resolved(Nllb(), "DEU_LATN"), "deu_Latn");
}

TEST(ResolveLanguageTest, IsoCodesAndTags) {
  EXPECT_EQ(Resolved(Nllb(), "de"), "deu_Latn");
  EXPECT_EQ(Resolved(Nllb(), "deu"), "deu_Latn");
  EXPECT_EQ(Resolved(Nllb(), "de-DE"), "deu_Latn");
  EXPECT_EQ(Resolved(Nllb(), "EN"), "eng_Latn");
  // Two codes of one language: the script ICU gives the language decides,
  // and a tag's own script wins.
  EXPECT_EQ(Resolved(Nllb(), "zh"), "zho_Hans");
  EXPECT_EQ(Resolved(Nllb(), "zh-Hant"), "zho_Hant");
  EXPECT_EQ(Resolved(Nllb(), "zh_TW"), "zho_Hans");
  EXPECT_EQ(Resolved(Nllb(), "sr"), "srp_Cyrl");
  // Macrolanguages stand for NLLB's individual language.
  EXPECT_EQ(Resolved(Nllb(), "ar"), "arb_Arab");
  EXPECT_EQ(Resolved(Nllb(), "fa"), "pes_Arab");
  EXPECT_EQ(Resolved(Nllb(), "no"), "nob_Latn");
  EXPECT_EQ(Resolved(Nllb(), "nn"), "nno_Latn");
}

TEST(ResolveLanguageTest, OtherFamiliesSpellings) {
  const LanguageTokens m2m100 = Codes({"__en__", "__de__", "__zh__"});
  EXPECT_EQ(Resolved(m2m100, "de"), "__de__");
  EXPECT_EQ(Resolved(m2m100, "deu"), "__de__");
  EXPECT_EQ(Resolved(m2m100, "zh-Hans"), "__zh__");
  const LanguageTokens mbart = Codes({"en_XX", "de_DE", "pt_XX", "zh_CN"});
  EXPECT_EQ(Resolved(mbart, "de"), "de_DE");
  EXPECT_EQ(Resolved(mbart, "pt-BR"), "pt_XX");
  EXPECT_EQ(Resolved(mbart, "zh"), "zh_CN");
  LanguageTokens marian = Codes({"fra", "por", "spa"});
  marian.scheme = LanguageTokens::Scheme::kTargetInSource;
  EXPECT_EQ(Resolved(marian, ">>por<<"), "por");
  EXPECT_EQ(Resolved(marian, "pt"), "por");
  EXPECT_EQ(Resolved(marian, "fr"), "fra");
}

TEST(ResolveLanguageTest, UnknownNamesTheClosestCodes) {
  const std::string message = Resolved(Nllb(), "deu_Latm");
  EXPECT_THAT(message, HasSubstr("target_language 'deu_Latm' is not a "
                                 "language of this model"));
  EXPECT_THAT(message, HasSubstr("closest: deu_Latn"));
  EXPECT_THAT(Resolved(Nllb(), "xx"), HasSubstr("11 codes"));
  // Bounded: a long value is cut in the message.
  EXPECT_LT(Resolved(Nllb(), std::string(5000, 'q')).size(), 400u);
}

TEST(ResolveLanguageTest, AmbiguousNamesTheCandidates) {
  const LanguageTokens two = Codes({"kmr_Latn", "kmr_Arab"});
  // ICU gives Kurmanji no likely script that tells these apart here.
  const std::string message = Resolved(two, "kmr");
  if (message != "kmr_Latn") {
    EXPECT_THAT(message, HasSubstr("ambiguous"));
    EXPECT_THAT(message, HasSubstr("kmr_Latn, kmr_Arab"));
  }
  const LanguageTokens regions = Codes({"pt_BR", "pt_PT"});
  EXPECT_EQ(Resolved(regions, "pt-PT"), "pt_PT");
  EXPECT_THAT(Resolved(regions, "pt"), HasSubstr("ambiguous"));
}

TEST(DescribeLanguagesTest, AliasesAndEnglishNames) {
  const std::vector<LanguageDescription> described = DescribeLanguages(Nllb());
  ASSERT_EQ(described.size(), 11u);
  EXPECT_EQ(described[2].code, "deu_Latn");
  EXPECT_EQ(described[2].alias, "de");
  EXPECT_EQ(described[2].name, "German");
  EXPECT_EQ(described[0].alias, "ar");  // arb, through the macrolanguage
  EXPECT_EQ(described[1].alias, "");    // ary: "ar" means arb
  EXPECT_EQ(described[9].alias, "zh");
  EXPECT_EQ(described[10].alias, "");
  EXPECT_EQ(described[9].name, "Chinese (Simplified)");
  EXPECT_EQ(described[10].name, "Chinese (Traditional)");
}

}  // namespace
}  // namespace glossa::model
