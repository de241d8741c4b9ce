#ifndef GLOSSA_SERVER_HTTP_HTTP_STATUS_H_
#define GLOSSA_SERVER_HTTP_HTTP_STATUS_H_

#include <string>

#include "absl/status/status.h"

namespace glossa::server {

// The one place where absl::Status becomes an HTTP status, as Google's API
// design guide maps the canonical codes (INVALID_ARGUMENT 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
// RESOURCE_EXHAUSTED 429, CANCELLED 499, UNAVAILABLE 503,
// DEADLINE_EXCEEDED 504, ...).
int HttpStatusFor(absl::StatusCode code);

// Glossa's JSON error body: {"error": {"code": 400, "status":
// "INVALID_ARGUMENT", "message": "..."}}; `http_code` > 0 replaces the
// mapped code (413 for a body over the limit, which HTTP names itself).
std::string ErrorJson(const absl::Status& status, int http_code = 0);

// LibreTranslate's status for the same outcome, derived from HttpStatusFor:
// it answers 400 for every bad request (404 included), 403 for a missing or
// invalid key (401 included), 429 when over a limit and 500 otherwise (503
// and 504 kept: clients retry on them).
int LibreTranslateStatusFor(absl::StatusCode code);

// LibreTranslate's error body: {"error": "..."}.
std::string LibreTranslateErrorJson(const absl::Status& status);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_HTTP_STATUS_H_
