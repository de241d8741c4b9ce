#include "server/documents/html_entities.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/documents/html_entity_table.h"

namespace glossa::server {
namespace {

// A numeric reference is at most this long between '&' and ';'
// ("&#x10FFFF;").
constexpr size_t kMaxNumeric = 10;
// The longest name of the table, ';' included
// ("CounterClockwiseContourIntegral;"), and the longest legacy name, one a
// browser reads without ';' too ("middot").
constexpr size_t kLongestName = 32;
constexpr size_t kLongestLegacyName = 6;

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

// The table's entry for `name` ("auml;" or, legacy, "auml"), or null.
// Binary search: the table is sorted by name.
const HtmlNamedReference* FindNamed(absl::string_view name) {
  const HtmlNamedReference* begin = kHtmlNamedReferences;
  const HtmlNamedReference* end = begin + kHtmlNamedReferenceCount;
  const HtmlNamedReference* it = std::lower_bound(
      begin, end, name,
      [](const HtmlNamedReference& entry, absl::string_view n) {
        return absl::string_view(entry.name) < n;
      });
  return it != end && absl::string_view(it->name) == name ? it : nullptr;
}

// The numeric reference at text[amp] == '&' followed by '#'.
size_t DecodeNumeric(absl::string_view text, size_t amp, std::string* out) {
  // Looks no further than the longest reference, so that text full of
  // '&#' without ';' stays linear.
  const size_t found = text.substr(amp, kMaxNumeric + 1).find(';');
  if (found == absl::string_view::npos) return 0;
  const absl::string_view digits = text.substr(amp + 2, found - 2);
  const bool hex = !digits.empty() && (digits[0] == 'x' || digits[0] == 'X');
  const absl::string_view number = hex ? digits.substr(1) : digits;
  // Digits only: the parsers below would also take a sign or spaces.
  if (number.empty() ||
      !std::all_of(number.begin(), number.end(), [hex](char c) {
        return hex ? absl::ascii_isxdigit(c) : absl::ascii_isdigit(c);
      })) {
    return 0;
  }
  uint32_t cp = 0;
  const bool parsed =
      hex ? absl::SimpleHexAtoi(number, &cp) : absl::SimpleAtoi(number, &cp);
  if (!parsed || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  AppendUtf8(cp, out);
  return found + 1;
}

}  // namespace

size_t DecodeHtmlEntityAt(absl::string_view text, size_t amp,
                          std::string* out) {
  if (amp >= text.size() || text[amp] != '&') return 0;
  if (amp + 1 < text.size() && text[amp + 1] == '#') {
    return DecodeNumeric(text, amp, out);
  }
  // Names are letters and digits; reading no further than the longest
  // keeps text full of '&' linear.
  size_t end = amp + 1;
  while (end < text.size() && end - amp - 1 < kLongestName &&
         absl::ascii_isalnum(text[end])) {
    ++end;
  }
  if (end == amp + 1) return 0;
  if (end < text.size() && text[end] == ';') {
    // "name;" as it stands in the text.
    const HtmlNamedReference* found =
        FindNamed(text.substr(amp + 1, end - amp));
    if (found != nullptr) {
      out->append(found->characters);
      return end - amp + 1;
    }
  }
  // As a browser reads text: the longest legacy name the letters begin
  // with, even without ';' ("&auml" is "ä", "&notit;" is "¬it;").
  const absl::string_view letters = text.substr(amp + 1, end - amp - 1);
  for (size_t length = std::min(letters.size(), kLongestLegacyName);
       length >= 2; --length) {
    const HtmlNamedReference* found = FindNamed(letters.substr(0, length));
    if (found != nullptr) {
      out->append(found->characters);
      return length + 1;
    }
  }
  return 0;
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
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
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
