#ifndef GLOSSA_SERVER_HTTP_HTTP_REQUEST_H_
#define GLOSSA_SERVER_HTTP_HTTP_REQUEST_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "httplib.h"
#include "server/calls/call_environment.h"

// What every HTTP route does with a request before and after the model:
// keys, deadlines, the proto3 JSON mapping, and the answer.
namespace glossa::server {

inline constexpr absl::string_view kHttpFrontend = "http";

// A route taking a body, as httplib would call it but without httplib's
// own reading of the body: cpp-httplib 0.11 (Debian's, compiled) refuses an
// application/x-www-form-urlencoded body over 8 KiB with a 413, a limit
// compiled into the library, and `curl -d` sends JSON with that type. The
// wrapper reads the body itself (httplib's --max_message_bytes bound still
// applies), parses a urlencoded form into `params` and a multipart one into
// `files`, and calls `handler` with the request so filled.
httplib::Server::HandlerWithContentReader WithBody(
    httplib::Server::Handler handler);

// The key check and quota of CallEnvironment::Authorize for an HTTP call:
// `Authorization: Bearer <key>`, or `api_key` (LibreTranslate's field) when
// the header is absent; the headers count against --max_metadata_bytes.
absl::Status AuthorizeHttp(const CallEnvironment& environment,
                           const httplib::Request& request,
                           absl::string_view api_key, std::string* caller);

// The call's deadline from `X-Request-Timeout` or `?timeout=` ("30s",
// "500ms", or plain seconds such as "2.5"); InfiniteFuture when neither is
// given, INVALID_ARGUMENT naming the value when it does not parse.
absl::StatusOr<absl::Time> HttpDeadline(const httplib::Request& request,
                                        absl::Time now);

// `body` as the proto3 JSON form of `message` (names as in the .proto or
// in lowerCamelCase; unknown fields refused): INVALID_ARGUMENT saying what
// is wrong.
absl::Status ParseJsonBody(absl::string_view body,
                           google::protobuf::Message* message);

// The proto3 JSON form of `message`, every field printed.
std::string ToJson(const google::protobuf::Message& message);

// Which API's error shape an answer takes (http_status.h).
enum class ErrorShape { kGlossa, kLibreTranslate };

// Writes `status` as the answer, in `shape`, with Retry-After for 429/503.
void AnswerError(const absl::Status& status, httplib::Response& response,
                 ErrorShape shape = ErrorShape::kGlossa);

// Who made a call and which model served it, for its metrics.
struct CallRecord {
  std::string caller;  // the API key's name, "" without one
  std::string model;   // "" until a model is found
};

// A call answered by the handler thread: `handle(arrival, &record)` does
// the work and writes the body; the outcome is recorded as `rpc`
// (frontend="http") and a failure answered in `shape`.
template <typename Handle>
void AnswerCall(const CallEnvironment& environment, absl::string_view rpc,
                httplib::Response& response, ErrorShape shape,
                const Handle& handle) {
  const absl::Time arrival = environment.clock()->Now();
  CallRecord record;
  const absl::Status status = handle(arrival, &record);
  environment.RecordRequest(rpc, record.model, status.code(), arrival,
                            record.caller, kHttpFrontend);
  if (!status.ok()) AnswerError(status, response, shape);
}

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_HTTP_REQUEST_H_
