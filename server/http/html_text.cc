#include "server/http/html_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace glossa::server {
namespace {

constexpr absl::string_view kRawElements[] = {"script", "style", "pre", "code",
                                              "textarea"};

// The end of the tag starting at html[begin] == '<' (one past its '>'),
// honouring quoted attribute values; npos when it never closes.
size_t TagEnd(absl::string_view html, size_t begin) {
  if (absl::StartsWith(html.substr(begin), "<!--")) {
    const size_t close = html.find("-->", begin + 4);
    return close == absl::string_view::npos ? close : close + 3;
  }
  char quote = 0;
  for (size_t i = begin + 1; i < html.size(); ++i) {
    const char c = html[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return absl::string_view::npos;
}

// The lower-case element name of an opening tag ("" for closing tags,
// comments and declarations).
std::string OpeningName(absl::string_view tag) {
  size_t i = 1;
  if (i >= tag.size() || !absl::ascii_isalpha(tag[i])) return "";
  size_t end = i;
  while (end < tag.size() && absl::ascii_isalnum(tag[end])) ++end;
  return absl::AsciiStrToLower(tag.substr(i, end - i));
}

void AddText(absl::string_view raw, std::vector<HtmlPiece>* pieces) {
  if (raw.empty()) return;
  const absl::string_view core = absl::StripAsciiWhitespace(raw);
  if (core.empty()) {
    pieces->push_back({false, std::string(raw), "", ""});
    return;
  }
  const size_t lead = core.data() - raw.data();
  HtmlPiece piece;
  piece.is_text = true;
  piece.value = DecodeHtmlEntities(core);
  piece.leading_space = std::string(raw.substr(0, lead));
  piece.trailing_space = std::string(raw.substr(lead + core.size()));
  pieces->push_back(std::move(piece));
}

}  // namespace

std::vector<HtmlPiece> SplitHtml(absl::string_view html) {
  std::vector<HtmlPiece> pieces;
  size_t pos = 0;
  while (pos < html.size()) {
    const size_t open = html.find('<', pos);
    if (open == absl::string_view::npos) {
      AddText(html.substr(pos), &pieces);
      break;
    }
    AddText(html.substr(pos, open - pos), &pieces);
    size_t end = TagEnd(html, open);
    if (end == absl::string_view::npos) end = html.size();
    const absl::string_view tag = html.substr(open, end - open);
    const std::string name = OpeningName(tag);
    for (absl::string_view raw : kRawElements) {
      if (name != raw) continue;
      // Kept to the end of its closing tag (or of the document).
      const std::string lower = absl::AsciiStrToLower(html.substr(end));
      const size_t close = lower.find(absl::StrCat("</", raw));
      end = close == std::string::npos ? html.size() : end + close;
      const size_t close_end = html.find('>', end);
      end = close_end == absl::string_view::npos ? html.size() : close_end + 1;
      break;
    }
    pieces.push_back(
        {false, std::string(html.substr(open, end - open)), "", ""});
    pos = end;
  }
  return pieces;
}

}  // namespace glossa::server
