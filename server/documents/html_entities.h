#ifndef GLOSSA_SERVER_DOCUMENTS_HTML_ENTITIES_H_
#define GLOSSA_SERVER_DOCUMENTS_HTML_ENTITIES_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

// The one owner of how HTML text is decoded for a model and escaped back:
// the document library and LibreTranslate's format=html both call these,
// so that the two HTML paths agree on every entity.
namespace glossa::server {

// Decodes the character reference starting at `text[amp]` (a '&') and
// appends its characters to `*out`. Returns the reference's length in
// bytes, or 0 (appending nothing) when the bytes there are none:
// - every HTML5 named reference with its ';' ("&Auml;", "&mdash;"), from
//   the WHATWG table (html_entity_table.h);
// - as a browser reads text, the legacy names (the 106 that HTML 4 had,
//   "&auml", "&amp", "&copy") also without ';': the longest such name the
//   letters after '&' begin with ("&copy2024" is "©2024");
// - numeric references (&#252; &#xFC;) to a Unicode scalar value other
//   than U+0000.
// Anything else ("&bogus;", "&#0;", "& ") is left to the caller as text.
// Only for text: attribute values are never decoded (they are not
// translated), where a browser reads legacy names differently.
size_t DecodeHtmlEntityAt(absl::string_view text, size_t amp, std::string* out);

// `text` with every reference DecodeHtmlEntityAt knows decoded.
std::string DecodeHtmlEntities(absl::string_view text);

// &, < and > escaped, for text put back between tags; every other
// character is written as itself (UTF-8). Every '&' is escaped: the text
// was decoded, so a '&' in it is a character, also where it spells a
// reference ("&amp;copy;" in the source is "&copy;" for the model, and
// goes back as "&amp;copy;").
std::string EscapeHtmlText(absl::string_view text);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_HTML_ENTITIES_H_
