#include "server/http/http_status.h"

#include <nlohmann/json.hpp>

namespace glossa::server {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

namespace {

// Messages are bounded where they are made; replacing stray bytes keeps the
// body valid JSON whatever a message quotes.
std::string Dump(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string ErrorJson(const absl::Status& status, int http_code) {
  nlohmann::json body;
  body["error"] = {
      {"code", http_code > 0 ? http_code : HttpStatusFor(status.code())},
      {"status", absl::StatusCodeToString(status.code())},
      {"message", std::string(status.message())}};
  return Dump(body);
}

int LibreTranslateStatusFor(absl::StatusCode code) {
  const int status = HttpStatusFor(code);
  switch (status) {
    case 401:
      return 403;
    case 404:
      return 400;
    case 200:
    case 400:
    case 403:
    case 429:
    case 503:
    case 504:
      return status;
    default:
      return 500;
  }
}

std::string LibreTranslateErrorJson(const absl::Status& status) {
  nlohmann::json body;
  body["error"] = std::string(status.message());
  return Dump(body);
}

}  // namespace glossa::server
