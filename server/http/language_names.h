#ifndef GLOSSA_SERVER_HTTP_LANGUAGE_NAMES_H_
#define GLOSSA_SERVER_HTTP_LANGUAGE_NAMES_H_

#include "absl/strings/string_view.h"

namespace glossa::server {

// The English name of an ISO 639-1 code ("de" -> "German") for the
// languages OPUS-MT pair models cover, as LibreTranslate's /languages
// lists them; the code itself when it is not in the table.
absl::string_view LanguageName(absl::string_view code);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_LANGUAGE_NAMES_H_
