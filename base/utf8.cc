#include "base/utf8.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace glossa::base {
namespace {

// Decodes one character at `text[pos]`. Returns its length, or 0 when the
// bytes there are not a valid character; `*truncated` says whether they
// could still become one with more bytes.
size_t DecodeOne(absl::string_view text, size_t pos, uint32_t* code_point,
                 bool* truncated) {
  *truncated = false;
  const auto byte = [&](size_t i) {
    return static_cast<uint8_t>(text[pos + i]);
  };
  const uint8_t lead = byte(0);
  size_t length;
  uint32_t cp;
  uint32_t min;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  const size_t available = text.size() - pos;
  for (size_t i = 1; i < length; ++i) {
    if (i >= available) {
      *truncated = true;
      return 0;
    }
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return length;
}

// The length of the blank character at `text[pos]` (White_Space, plus
// U+200B and U+FEFF, which render as nothing), or 0 when the character
// there is not blank or not valid.
size_t BlankAt(absl::string_view text, size_t pos) {
  uint32_t cp;
  bool truncated;
  const size_t length = DecodeOne(text, pos, &cp, &truncated);
  if (length == 0) return 0;
  const bool space = cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 ||
                     cp == 0xA0 || cp == 0x1680 ||
                     (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
                     cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
                     cp == 0x3000 || cp == 0xFEFF || cp == 0x200B;
  return space ? length : 0;
}

}  // namespace

bool IsValidUtf8(absl::string_view text, size_t* bad_offset) {
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp;
    bool truncated;
    const size_t length = DecodeOne(text, pos, &cp, &truncated);
    if (length == 0) {
      if (bad_offset != nullptr) *bad_offset = pos;
      return false;
    }
    pos += length;
  }
  return true;
}

absl::Status CheckUtf8(absl::string_view field, absl::string_view text) {
  size_t offset = 0;
  if (IsValidUtf8(text, &offset)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s is not valid UTF-8 (byte 0x%02X at offset %d)", field,
                      static_cast<unsigned char>(text[offset]), offset));
}

size_t IncompleteUtf8Suffix(absl::string_view text) {
  // A lead byte among the last three bytes whose character runs past the
  // end (with only continuation bytes after it) is incomplete.
  for (size_t back = 1; back <= 3 && back <= text.size(); ++back) {
    const size_t pos = text.size() - back;
    const uint8_t b = static_cast<uint8_t>(text[pos]);
    if ((b & 0xC0) == 0x80) continue;  // continuation: look further back
    uint32_t cp;
    bool truncated;
    DecodeOne(text, pos, &cp, &truncated);
    return truncated ? back : 0;
  }
  return 0;
}

std::string SanitizeUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp;
    bool truncated;
    const size_t length = DecodeOne(text, pos, &cp, &truncated);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++pos;
    } else {
      out.append(text.data() + pos, length);
      pos += length;
    }
  }
  return out;
}

bool IsBlank(absl::string_view text) { return StripBlank(text).empty(); }

absl::string_view StripBlank(absl::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t length = BlankAt(text, begin);
    if (length == 0) break;
    begin += length;
  }
  // Forwards again, remembering where the last non-blank character ended.
  size_t end = begin;
  size_t pos = begin;
  while (pos < text.size()) {
    const size_t length = BlankAt(text, pos);
    if (length == 0) {
      uint32_t cp;
      bool truncated;
      const size_t text_length = DecodeOne(text, pos, &cp, &truncated);
      pos += text_length == 0 ? 1 : text_length;
      end = pos;
    } else {
      pos += length;
    }
  }
  return text.substr(begin, end - begin);
}

std::string ShortForMessage(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return SanitizeUtf8(text);
  absl::string_view head = text.substr(0, max_bytes);
  head.remove_suffix(IncompleteUtf8Suffix(head));
  return absl::StrFormat("%s... (%d bytes)", SanitizeUtf8(head), text.size());
}

}  // namespace glossa::base
