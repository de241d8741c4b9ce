#ifndef GLOSSA_TESTS_SERVER_DOCUMENTS_DOCUMENT_TEST_UTIL_H_
#define GLOSSA_TESTS_SERVER_DOCUMENTS_DOCUMENT_TEST_UTIL_H_

// Helpers for the document tests: alignments built from words, and a
// well-formedness check of HTML written independently of the library's
// own tokenizer.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "server/documents/document.h"

namespace glossa::server::testing {

// The byte ranges of the tokens of `text`, as a model's tokenizer would
// cut it roughly: runs between spaces, with each ASCII punctuation mark a
// token of its own.
inline std::vector<std::pair<int, int>> Words(absl::string_view text) {
  std::vector<std::pair<int, int>> words;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const size_t begin = i;
    if (absl::ascii_ispunct(text[i])) {
      ++i;
    } else {
      while (i < text.size() && text[i] != ' ' &&
             !absl::ascii_ispunct(text[i])) {
        ++i;
      }
    }
    words.push_back({int(begin), int(i)});
  }
  return words;
}

// One link per target word: target word t to source word source_of[t]
// (none for -1).
inline SentenceTranslation Translate(absl::string_view source,
                                     absl::string_view target,
                                     const std::vector<int>& source_of) {
  const auto source_words = Words(source);
  const auto target_words = Words(target);
  SentenceTranslation translation{std::string(target), {}};
  for (size_t t = 0; t < target_words.size() && t < source_of.size(); ++t) {
    if (source_of[t] < 0) continue;
    const auto [sb, se] = source_words.at(source_of[t]);
    translation.alignment.push_back(
        {target_words[t].first, target_words[t].second, sb, se});
  }
  return translation;
}

// A translation cut into subword pieces, as SentencePiece decodes them: the
// target text is the pieces joined, and each piece links, by its bytes
// without a leading space, to source word source_of (none for -1).
inline SentenceTranslation TranslatePieces(
    absl::string_view source,
    const std::vector<std::pair<std::string, int>>& pieces) {
  const auto source_words = Words(source);
  SentenceTranslation translation;
  for (const auto& [piece, source_of] : pieces) {
    const int begin =
        int(translation.text.size()) + (absl::StartsWith(piece, " ") ? 1 : 0);
    translation.text += piece;
    if (source_of < 0) continue;
    const auto [sb, se] = source_words.at(source_of);
    translation.alignment.push_back(
        {begin, int(translation.text.size()), sb, se});
  }
  return translation;
}

// Each sentence translated as itself, word by word.
inline std::vector<SentenceTranslation> Identity(const Document& document) {
  std::vector<SentenceTranslation> translations;
  for (const std::string& sentence : document.sentences()) {
    std::vector<int> same(Words(sentence).size());
    for (size_t i = 0; i < same.size(); ++i) same[i] = int(i);
    translations.push_back(Translate(sentence, sentence, same));
  }
  return translations;
}

// "" when every element of `html` is closed in order; otherwise what is
// wrong. Void elements, comments, declarations and the content of raw
// elements are skipped.
inline std::string WellFormedProblem(absl::string_view html) {
  static const char* const kVoid[] = {
      "area",  "base", "br",   "col",    "embed", "hr", "img",
      "input", "link", "meta", "source", "track", "wbr"};
  static const char* const kRaw[] = {"script", "style", "textarea"};
  std::vector<std::string> open;
  size_t pos = 0;
  while ((pos = html.find('<', pos)) != absl::string_view::npos) {
    const absl::string_view rest = html.substr(pos);
    if (absl::StartsWith(rest, "<!--")) {
      const size_t end = html.find("-->", pos);
      if (end == absl::string_view::npos) return "unclosed comment";
      pos = end + 3;
      continue;
    }
    if (absl::StartsWith(rest, "<!") || absl::StartsWith(rest, "<?")) {
      pos = html.find('>', pos);
      if (pos == absl::string_view::npos) return "unclosed declaration";
      continue;
    }
    const bool closing = absl::StartsWith(rest, "</");
    size_t name_end = pos + (closing ? 2 : 1);
    while (name_end < html.size() &&
           (absl::ascii_isalnum(html[name_end]) || html[name_end] == '-')) {
      ++name_end;
    }
    const std::string name = absl::AsciiStrToLower(html.substr(
        pos + (closing ? 2 : 1), name_end - pos - (closing ? 2 : 1)));
    if (name.empty())
      return "a '<' that starts no tag at " + std::to_string(pos);
    char quote = 0;
    size_t end = name_end;
    for (; end < html.size(); ++end) {
      if (quote != 0) {
        if (html[end] == quote) quote = 0;
      } else if (html[end] == '"' || html[end] == '\'') {
        quote = html[end];
      } else if (html[end] == '>') {
        break;
      }
    }
    if (end == html.size()) return "unclosed tag <" + name;
    pos = end + 1;
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes " +
               (open.empty() ? std::string("nothing")
                             : "<" + open.back() + ">");
      }
      open.pop_back();
      continue;
    }
    if (html[end - 1] == '/') continue;
    bool is_void = false;
    for (const char* v : kVoid) is_void = is_void || name == v;
    if (is_void) continue;
    for (const char* raw : kRaw) {
      if (name != raw) continue;
      const size_t close = html.find("</" + name, pos);
      if (close == absl::string_view::npos) return "unclosed <" + name;
      pos = close;
    }
    open.push_back(name);
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

}  // namespace glossa::server::testing

#endif  // GLOSSA_TESTS_SERVER_DOCUMENTS_DOCUMENT_TEST_UTIL_H_
