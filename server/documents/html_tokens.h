#ifndef GLOSSA_SERVER_DOCUMENTS_HTML_TOKENS_H_
#define GLOSSA_SERVER_DOCUMENTS_HTML_TOKENS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

// Cuts an HTML document into tokens that cover it byte for byte, without
// building a tree: the document is put back from the tokens' own bytes, so
// that markup nobody asked to change (quotes, case, entities in attributes,
// self-closing slashes) is never re-serialized. Never fails: bytes that are
// not well-formed markup become text or kVerbatim tokens.
namespace glossa::server {

enum class HtmlTokenKind {
  kText,      // character data, entities not decoded (see kEntity)
  kEntity,    // one character reference DecodeHtmlEntityAt knows
  kOpenTag,   // <name attributes...> or <name/>
  kCloseTag,  // </name>
  // Kept as written, content included: comments, <!DOCTYPE>, <?...?>,
  // CDATA, a tag that never closes ('<b' up to the end), and whole
  // elements whose content is not text to translate: <script>, <style>,
  // <textarea>, <code> and <pre>, from their opening tag to the end of
  // their closing tag.
  kVerbatim,
};

struct HtmlToken {
  HtmlTokenKind kind = HtmlTokenKind::kText;
  size_t begin = 0, end = 0;  // the token's bytes in the document
  // Tags and verbatim elements: the element name in lower case ("" for
  // comments and declarations).
  std::string name;
  bool self_closing = false;  // an opening tag written <name .../>
  std::string decoded;        // kEntity: the character it stands for
};

std::vector<HtmlToken> TokenizeHtml(absl::string_view html);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_HTML_TOKENS_H_
