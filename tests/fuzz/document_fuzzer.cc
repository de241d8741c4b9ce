// Untrusted documents through the document library: Parse (plain text or
// HTML, first byte) and Render with each sentence translated as itself,
// aligned word by word and then in reverse. Plain text must come back
// byte for byte; every output must be valid UTF-8.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "server/documents/document.h"

namespace {

std::vector<glossa::server::SentenceTranslation> Translations(
    const std::vector<std::string>& sentences, bool reversed) {
  std::vector<glossa::server::SentenceTranslation> translations;
  for (const std::string& sentence : sentences) {
    glossa::server::SentenceTranslation translation{sentence, {}};
    std::vector<std::pair<int, int>> words;
    for (size_t i = 0; i < sentence.size();) {
      const size_t space = sentence.find(' ', i);
      const size_t end = space == std::string::npos ? sentence.size() : space;
      if (end > i) words.push_back({int(i), int(end)});
      i = end + 1;
    }
    for (size_t w = 0; w < words.size(); ++w) {
      const auto& source = reversed ? words[words.size() - 1 - w] : words[w];
      translation.alignment.push_back(
          {words[w].first, words[w].second, source.first, source.second});
    }
    translations.push_back(std::move(translation));
  }
  return translations;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glossa::server;
  if (size == 0) return 0;
  const bool html = data[0] % 2 == 1;
  const char* const language = data[0] % 4 < 2 ? "en" : "de";
  const absl::string_view input(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  absl::StatusOr<Document> document = Document::Parse(
      input, html ? DocumentFormat::kHtml : DocumentFormat::kText, language,
      {});
  if (!document.ok()) return 0;
  for (const bool reversed : {false, true}) {
    absl::StatusOr<std::string> out =
        document->Render(Translations(document->sentences(), reversed));
    if (!out.ok() || !glossa::base::IsValidUtf8(*out)) std::abort();
    if (!html && *out != input) std::abort();
  }
  return 0;
}
