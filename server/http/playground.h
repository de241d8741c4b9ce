#ifndef GLOSSA_SERVER_HTTP_PLAYGROUND_H_
#define GLOSSA_SERVER_HTTP_PLAYGROUND_H_

#include "absl/strings/string_view.h"

namespace glossa::server {

// The browser playground (playground/index.html, built into the binary: no
// file to ship, no CDN): pick a model, translate, stream a generation, see
// timings and scores; a key field for servers with keys.
absl::string_view PlaygroundHtml();

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_PLAYGROUND_H_
