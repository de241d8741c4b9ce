#ifndef GLOSSA_SERVER_HTTP_HTML_TEXT_H_
#define GLOSSA_SERVER_HTTP_HTML_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/documents/html_entities.h"

// Translating HTML without touching its markup (LibreTranslate's
// format=html): the document is cut into markup, kept byte for byte, and
// runs of text, which are translated one segment each and put back. Only
// text between tags is translatable: tags, attributes, comments, and the
// contents of <script>, <style>, <pre>, <code> and <textarea> are kept.
//
// Hand-written rather than built on an HTML library (libxml2's parser is in
// Debian): a parser rebuilds the document from its tree, which re-serializes
// the markup (quotes, case, entities, self-closing tags) and would change
// bytes a caller did not ask to change.
namespace glossa::server {

// Text is decoded, and its translation escaped, by the rules the document
// library owns (server/documents/html_entities.h: DecodeHtmlEntities,
// EscapeHtmlText).
struct HtmlPiece {
  bool is_text = false;  // translatable text, entities decoded
  std::string value;     // markup as written, or the decoded text
  // Text only: the whitespace around the text, kept around its translation.
  std::string leading_space, trailing_space;
};

// Splits `html`; whitespace-only text is kept as markup. Never fails: a
// malformed tag ('<' without '>') is kept as markup to the end.
std::vector<HtmlPiece> SplitHtml(absl::string_view html);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_HTML_TEXT_H_
