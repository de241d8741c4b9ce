#ifndef GLOSSA_SERVER_DOCUMENTS_HTML_ENTITY_TABLE_H_
#define GLOSSA_SERVER_DOCUMENTS_HTML_ENTITY_TABLE_H_

#include <cstddef>

// HTML5's named character references, generated at build time by
// html_entity_table.py from Python's html.entities.html5 (the WHATWG
// list). Read through DecodeHtmlEntityAt.
namespace glossa::server {

struct HtmlNamedReference {
  // Without the '&'; with the ';' ("auml;"), or without it for the legacy
  // names a browser also reads without one ("auml").
  const char* name;
  const char* characters;  // UTF-8, one or two code points
};

// Sorted by name, bytewise.
extern const HtmlNamedReference kHtmlNamedReferences[];
extern const size_t kHtmlNamedReferenceCount;

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_DOCUMENTS_HTML_ENTITY_TABLE_H_
