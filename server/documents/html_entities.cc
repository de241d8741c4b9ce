#include "server/documents/html_entities.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace glossa::server {
namespace {

// A reference is at most this long between '&' and ';' ("&#x10FFFF;").
constexpr size_t kMaxReferenceName = 10;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Whether text[amp] == '&' starts something shaped like a reference:
// &name; &#digits; or &#xhex; no longer than DecodeHtmlEntityAt reads.
bool StartsReference(absl::string_view text, size_t amp) {
  const absl::string_view window = text.substr(amp + 1, kMaxReferenceName);
  size_t i = 0;
  bool (*allowed)(unsigned char) = absl::ascii_isalnum;
  if (!window.empty() && window[0] == '#') {
    i = 1;
    allowed = absl::ascii_isdigit;
    if (window.size() > 1 && (window[1] == 'x' || window[1] == 'X')) {
      i = 2;
      allowed = absl::ascii_isxdigit;
    }
  } else if (window.empty() || !absl::ascii_isalpha(window[0])) {
    return false;
  }
  const size_t first = i;
  while (i < window.size() && allowed(window[i])) ++i;
  return i > first && i < window.size() && window[i] == ';';
}

}  // namespace

size_t DecodeHtmlEntityAt(absl::string_view text, size_t amp,
                          std::string* out) {
  if (amp >= text.size() || text[amp] != '&') return 0;
  // Looks no further than the longest reference, so that text full of
  // '&' without ';' stays linear.
  const size_t found = text.substr(amp, kMaxReferenceName + 1).find(';');
  if (found == absl::string_view::npos) return 0;
  const size_t semi = amp + found;
  const absl::string_view name = text.substr(amp + 1, semi - amp - 1);
  uint32_t cp = 0;
  if (name == "amp") {
    cp = '&';
  } else if (name == "lt") {
    cp = '<';
  } else if (name == "gt") {
    cp = '>';
  } else if (name == "quot") {
    cp = '"';
  } else if (name == "apos" || name == "#39") {
    cp = '\'';
  } else if (name == "nbsp") {
    cp = 0xA0;
  } else if (name.size() > 1 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const bool parsed = hex ? absl::SimpleHexAtoi(name.substr(2), &cp)
                            : absl::SimpleAtoi(name.substr(1), &cp);
    if (!parsed || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return 0;
    }
  } else {
    return 0;
  }
  AppendUtf8(cp, out);
  return semi - amp + 1;
}

std::string DecodeHtmlEntities(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t amp = text.find('&', i);
    if (amp == absl::string_view::npos) {
      absl::StrAppend(&out, text.substr(i));
      break;
    }
    absl::StrAppend(&out, text.substr(i, amp - i));
    const size_t length = DecodeHtmlEntityAt(text, amp, &out);
    if (length == 0) {
      out.push_back('&');
      i = amp + 1;
    } else {
      i = amp + length;
    }
  }
  return out;
}

std::string EscapeHtmlText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '&':
        out += StartsReference(text, i) ? "&" : "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace glossa::server
