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
// appends the character to `*out`. Returns the reference's length in
// bytes, or 0 (appending nothing) when the bytes there are not one this
// decoder knows: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&apos;`,
// `&nbsp;` and numeric references to a Unicode scalar value. Other named
// entities are left as written: a full table is 2,000 names, and a
// reference left alone is still shown right by a browser when a model
// copies it through.
size_t DecodeHtmlEntityAt(absl::string_view text, size_t amp, std::string* out);

// `text` with every reference DecodeHtmlEntityAt knows decoded.
std::string DecodeHtmlEntities(absl::string_view text);

// &, < and > escaped, for text put back between tags. A '&' that starts
// a reference (&name; &#digits; &#xhex;, as long as DecodeHtmlEntityAt
// reads) is kept: DecodeHtmlEntities leaves the ones it does not know as
// written (&copy;, &mdash;), and a model copies them through, so they go
// back as the same reference instead of as visible "&copy;" text. (Text
// that spelled a reference out, "&amp;copy;", comes back as the reference.)
std::string EscapeHtmlText(absl::string_view text);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_HTML_ENTITIES_H_
