#ifndef GLOSSA_BASE_UTF8_H_
#define GLOSSA_BASE_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace glossa::base {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF). Otherwise `*bad_offset` (if given) is the
// offset of the first byte that is not part of a valid character.
bool IsValidUtf8(absl::string_view text, size_t* bad_offset = nullptr);

// OK for valid UTF-8; otherwise the one message Glossa gives for it,
// InvalidArgument "<field> is not valid UTF-8 (byte 0xFF at offset 3)".
absl::Status CheckUtf8(absl::string_view field, absl::string_view text);

// Length of the trailing bytes of `text` that start a character not yet
// complete (0 to 3): what a stream must hold back until more bytes arrive.
size_t IncompleteUtf8Suffix(absl::string_view text);

// `text` with every invalid byte sequence replaced by U+FFFD.
std::string SanitizeUtf8(absl::string_view text);

// True when `text` holds only Unicode white space (White_Space property,
// plus U+200B and U+FEFF, which render as nothing) or nothing. The one
// definition of "blank" for every front-end and the engine.
bool IsBlank(absl::string_view text);

// `text` without its leading and trailing blank characters (as IsBlank
// defines them): a view into `text`, so that a caller can tell how much
// white space was cut from each side and keep it. Invalid bytes count as
// text.
absl::string_view StripBlank(absl::string_view text);

// `text` as an error message may echo it: unchanged when it has at most
// `max_bytes` bytes, otherwise its first characters within that many bytes
// (never half a character), "...", and its full size. Every value a
// message repeats from a request goes through this, so that a huge input
// cannot make a huge error.
std::string ShortForMessage(absl::string_view text, size_t max_bytes = 64);

}  // namespace glossa::base

#endif  // GLOSSA_BASE_UTF8_H_
