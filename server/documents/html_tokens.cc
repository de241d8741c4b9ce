#include "server/documents/html_tokens.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/documents/html_entities.h"

namespace glossa::server {
namespace {

// Elements kept whole: raw text in HTML (script, style, textarea) or code
// that must not be translated (code, pre).
constexpr absl::string_view kKeptElements[] = {"script", "style", "textarea",
                                               "code", "pre"};

bool IsNameChar(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == ':' || c == '.';
}

// One past the '>' ending the tag that starts at html[begin] == '<',
// honouring quoted attribute values; npos when it never closes.
size_t TagEnd(absl::string_view html, size_t begin) {
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

// One past `terminator` found from `from`, or the end of `html`.
size_t EndAfter(absl::string_view html, size_t from,
                absl::string_view terminator) {
  const size_t found = html.find(terminator, from);
  return found == absl::string_view::npos ? html.size()
                                          : found + terminator.size();
}

// The end of the closing tag "</name" (any case) at or after `from`, or
// the end of `html` when the element is never closed.
size_t EndOfKeptElement(absl::string_view html, size_t from,
                        absl::string_view name) {
  for (size_t lt = html.find("</", from); lt != absl::string_view::npos;
       lt = html.find("</", lt + 2)) {
    const size_t after = lt + 2 + name.size();
    if (after > html.size()) break;
    if (!absl::EqualsIgnoreCase(html.substr(lt + 2, name.size()), name)) {
      continue;
    }
    if (after < html.size() && IsNameChar(html[after])) continue;
    const size_t end = html.find('>', after);
    return end == absl::string_view::npos ? html.size() : end + 1;
  }
  return html.size();
}

// Text from `begin` to `end`, cut into runs and the references in them.
void AddText(absl::string_view html, size_t begin, size_t end,
             std::vector<HtmlToken>* tokens) {
  size_t run = begin;
  for (size_t i = begin; i < end; ++i) {
    if (html[i] != '&') continue;
    std::string decoded;
    const size_t length = DecodeHtmlEntityAt(html.substr(0, end), i, &decoded);
    if (length == 0) continue;
    if (run < i)
      tokens->push_back({HtmlTokenKind::kText, run, i, "", false, ""});
    tokens->push_back(
        {HtmlTokenKind::kEntity, i, i + length, "", false, std::move(decoded)});
    i += length - 1;
    run = i + 1;
  }
  if (run < end) {
    tokens->push_back({HtmlTokenKind::kText, run, end, "", false, ""});
  }
}

// The token of the markup starting at html[lt] == '<', or false when
// that '<' is only text (followed by a space, a digit, the end, ...).
bool ReadMarkup(absl::string_view html, size_t lt, HtmlToken* token) {
  const absl::string_view rest = html.substr(lt);
  token->begin = lt;
  token->kind = HtmlTokenKind::kVerbatim;
  if (absl::StartsWith(rest, "<!--")) {
    token->end = EndAfter(html, lt + 4, "-->");
    return true;
  }
  if (absl::StartsWith(rest, "<![CDATA[")) {
    token->end = EndAfter(html, lt + 9, "]]>");
    return true;
  }
  if (absl::StartsWith(rest, "<!") || absl::StartsWith(rest, "<?")) {
    token->end = EndAfter(html, lt + 2, ">");
    return true;
  }
  const bool closing = absl::StartsWith(rest, "</");
  const size_t name_begin = lt + (closing ? 2 : 1);
  if (name_begin >= html.size() || !absl::ascii_isalpha(html[name_begin])) {
    return false;
  }
  size_t name_end = name_begin;
  while (name_end < html.size() && IsNameChar(html[name_end])) ++name_end;
  token->name =
      absl::AsciiStrToLower(html.substr(name_begin, name_end - name_begin));
  const size_t end = TagEnd(html, lt);
  if (end == absl::string_view::npos) {  // '<b' up to the end: kept
    token->end = html.size();
    token->name.clear();
    return true;
  }
  token->end = end;
  if (closing) {
    token->kind = HtmlTokenKind::kCloseTag;
    return true;
  }
  token->self_closing = html[end - 2] == '/';
  for (absl::string_view kept : kKeptElements) {
    if (token->name != kept) continue;
    if (!token->self_closing) {
      token->end = EndOfKeptElement(html, end, kept);
    }
    return true;  // kVerbatim, named
  }
  token->kind = HtmlTokenKind::kOpenTag;
  return true;
}

}  // namespace

std::vector<HtmlToken> TokenizeHtml(absl::string_view html) {
  std::vector<HtmlToken> tokens;
  size_t text = 0;  // where the current text run began
  size_t pos = 0;
  while (pos < html.size()) {
    const size_t lt = html.find('<', pos);
    if (lt == absl::string_view::npos) break;
    HtmlToken token;
    if (!ReadMarkup(html, lt, &token)) {
      pos = lt + 1;
      continue;
    }
    AddText(html, text, lt, &tokens);
    pos = text = token.end;
    tokens.push_back(std::move(token));
  }
  AddText(html, text, html.size(), &tokens);
  return tokens;
}

}  // namespace glossa::server
