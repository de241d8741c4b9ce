#include "server/http/http_request.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "server/calls/answer_size.h"
#include "server/http/http_status.h"

namespace glossa::server {

httplib::Server::HandlerWithContentReader WithBody(
    httplib::Server::Handler handler) {
  return [handler = std::move(handler)](const httplib::Request& request,
                                        httplib::Response& response,
                                        const httplib::ContentReader& reader) {
    httplib::Request filled = request;
    bool read = false;
    if (request.is_multipart_form_data()) {
      std::vector<httplib::MultipartFormData> items;
      read = reader(
          [&](const httplib::MultipartFormData& item) {
            items.push_back(item);
            return true;
          },
          [&](const char* data, size_t size) {
            items.back().content.append(data, size);
            return true;
          });
      for (httplib::MultipartFormData& item : items) {
        filled.files.emplace(item.name, std::move(item));
      }
    } else {
      read = reader([&](const char* data, size_t size) {
        filled.body.append(data, size);
        return true;
      });
      if (read && absl::StartsWith(request.get_header_value("Content-Type"),
                                   "application/x-www-form-urlencoded")) {
        // The library's own parser, exported by the compiled library.
        httplib::detail::parse_query_text(filled.body, filled.params);
      }
    }
    if (!read) {
      // httplib set 413 for a body over the limit; the error handler
      // writes the message.
      if (response.status < 400) response.status = 400;
      return;
    }
    handler(filled, response);
  };
}

absl::Status AuthorizeHttp(const CallEnvironment& environment,
                           const httplib::Request& request,
                           absl::string_view api_key, std::string* caller) {
  // Counted as HTTP/2 counts metadata, so that one limit means the same
  // for both front-ends.
  size_t header_bytes = 0;
  for (const auto& [name, value] : request.headers) {
    header_bytes += name.size() + value.size() + 32;
  }
  std::string authorization = request.get_header_value("Authorization");
  if (authorization.empty() && !api_key.empty()) {
    authorization = absl::StrCat("Bearer ", api_key);
  }
  return environment.Authorize(authorization, header_bytes, caller);
}

absl::StatusOr<absl::Time> HttpDeadline(const httplib::Request& request,
                                        absl::Time now) {
  std::string value = request.get_header_value("X-Request-Timeout");
  absl::string_view source = "X-Request-Timeout";
  if (value.empty() && request.has_param("timeout")) {
    value = request.get_param_value("timeout");
    source = "timeout";
  }
  if (value.empty()) return absl::InfiniteFuture();
  absl::Duration timeout;
  double seconds = 0;
  if (absl::SimpleAtod(value, &seconds)) {
    timeout = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(absl::StripAsciiWhitespace(value),
                                  &timeout)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " \"", base::ShortForMessage(value),
        "\" is not a duration; use e.g. \"30s\", \"500ms\" or \"2.5\""));
  }
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " must be positive, got \"",
                     base::ShortForMessage(value), "\""));
  }
  return now + timeout;
}

absl::Status ParseJsonBody(absl::string_view body,
                           google::protobuf::Message* message) {
  if (absl::StripAsciiWhitespace(body).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request body is empty; send a JSON ",
        message->GetDescriptor()->name(), " (Content-Type: application/json)"));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), message,
      options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the body is not a valid JSON ", message->GetDescriptor()->name(), ": ",
      base::ShortForMessage(std::string(status.message()), 200)));
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  // Serializing a well-formed message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

void AnswerError(const absl::Status& status, httplib::Response& response,
                 ErrorShape shape) {
  const bool glossa = shape == ErrorShape::kGlossa;
  response.status = glossa ? HttpStatusFor(status.code())
                           : LibreTranslateStatusFor(status.code());
  if (status.GetPayload(kAnswerTooLargePayload).has_value()) {
    response.status = 413;
  }
  if (response.status == 429 || response.status == 503) {
    response.set_header("Retry-After", "1");
  }
  response.set_content(glossa ? ErrorJson(status, response.status)
                              : LibreTranslateErrorJson(status),
                       "application/json");
}

}  // namespace glossa::server
