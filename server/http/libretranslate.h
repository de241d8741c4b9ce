#ifndef GLOSSA_SERVER_HTTP_LIBRETRANSLATE_H_
#define GLOSSA_SERVER_HTTP_LIBRETRANSLATE_H_

#include "absl/strings/string_view.h"
#include "httplib.h"
#include "server/calls/call_environment.h"

namespace glossa::server {

// LibreTranslate's API, so that its clients (Weblate, browser extensions,
// CMS plugins, scripts) work unchanged:
//   POST /translate          JSON, urlencoded or multipart body: q (a string
//                            or an array), source, target, format (text or
//                            html), alternatives, api_key
//   GET  /languages          the served pairs
//   GET  /frontend/settings  what LibreTranslate's own web client reads
//   POST /detect             refused: no language detector is served
// Errors are {"error": "..."} with LibreTranslate's status codes. Languages
// are the served model's (ModelInfo.source_language / target_language);
// source "auto" is refused with a 400 that names the source to use.
void AddLibreTranslateRoutes(const CallEnvironment* environment,
                             httplib::Server& server);

// Whether `path` is one of those routes (its errors take their shape, also
// those httplib answers itself, such as a body over the limit).
bool IsLibreTranslatePath(absl::string_view path);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_LIBRETRANSLATE_H_
