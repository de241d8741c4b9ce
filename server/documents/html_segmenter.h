#ifndef GLOSSA_SERVER_DOCUMENTS_HTML_SEGMENTER_H_
#define GLOSSA_SERVER_DOCUMENTS_HTML_SEGMENTER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/documents/document_parts.h"
#include "server/documents/sentence_splitter.h"

namespace glossa::server {

// Cuts an HTML document into kept markup and sentences with their inline
// markup (SentenceMarkup):
// - Blocks: the text between two tags that are not inline (p, div, li,
//   h1-h6, td, title, any unknown element, <pre> kept whole) is one block;
//   the sentences of a block are ICU's, so inline tags never cut one.
// - Inline: a, abbr, b, bdi, bdo, big, cite, data, del, dfn, em, font, i,
//   ins, kbd, label, mark, nobr, q, ruby and its parts, s, samp, small,
//   span, strike, strong, sub, sup, time, tt, u, var. An element closed in
//   its block is projected. One still open when its block ends at an end
//   tag (</p>, </li>) or at the document's end is closed there, as a
//   browser closes it: projected, with a written "</name>". Other tags
//   whose partner lies in another block (or nowhere) are pinned to their
//   sentence's start (opening) or end (closing).
// - Atoms (no text of their own): <br>, <img>, <wbr>, self-closed inline
//   tags, comments, declarations, and <code>, <script>, <style>,
//   <textarea> kept whole. A <br> also counts as a space between words.
// - Text: references decoded (DecodeHtmlEntityAt: every HTML5 name);
//   attribute values are kept as written. Inside a sentence each
//   run of HTML white space (space, tab, CR, LF, FF) becomes one space.
//   Around sentences every byte is kept as written.
// - A tag between two sentences, or at a sentence's edge, is kept where it
//   is, unless it opens (closes) an element that ends (began) inside the
//   sentence next to it: then it is that element's tag in the sentence.
//   An element that crosses a sentence boundary is cut there (see
//   SentenceMarkup). Never fails on malformed markup: every byte is kept.
absl::Status SegmentHtml(absl::string_view html, SentenceSplitter& splitter,
                         DocumentParts* parts);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_HTML_SEGMENTER_H_
