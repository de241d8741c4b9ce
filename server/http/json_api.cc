#include "server/http/json_api.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/http/http_calls.h"
#include "server/http/http_request.h"
#include "server/http/http_status.h"

namespace glossa::server {
namespace {

constexpr char kJson[] = "application/json";

// A call answered at once: authorize, find the backend, then `answer`
// writes the body and returns the status.
template <typename Answer>
void AnswerAtOnce(const CallEnvironment& environment, absl::string_view rpc,
                  const httplib::Request& request, httplib::Response& response,
                  const Answer& answer) {
  AnswerCall(environment, rpc, response, ErrorShape::kGlossa,
             [&](absl::Time, std::string* caller) -> absl::Status {
               RETURN_IF_ERROR(AuthorizeHttp(environment, request, "", caller));
               ASSIGN_OR_RETURN(const ServingBackend* backend,
                                environment.backend());
               return answer(*backend);
             });
}

absl::Status Translate(const CallEnvironment& environment,
                       const httplib::Request& request, absl::Time arrival,
                       std::string* caller, httplib::Response& response) {
  RETURN_IF_ERROR(AuthorizeHttp(environment, request, "", caller));
  ASSIGN_OR_RETURN(const ServingBackend* backend, environment.backend());
  ASSIGN_OR_RETURN(const absl::Time deadline, HttpDeadline(request, arrival));
  v1::TranslateRequest parsed;
  RETURN_IF_ERROR(ParseJsonBody(request.body, &parsed));
  ASSIGN_OR_RETURN(v1::TranslateResponse answer,
                   RunTranslate(*backend, parsed, arrival, deadline));
  environment.ChargeTokens(
      *caller, answer.usage().input_tokens() + answer.usage().output_tokens());
  response.set_content(ToJson(answer), kJson);
  return absl::OkStatus();
}

// One Server-Sent Events stream: what the content provider and its
// releaser share (both run on the connection's worker thread).
struct EventStream {
  const CallEnvironment* environment;
  std::shared_ptr<GenerateStream> generate;
  absl::Time arrival;
  std::string caller;
  bool recorded = false;

  void Record(absl::StatusCode code) {
    if (recorded) return;
    recorded = true;
    environment->RecordRequest("Generate", code, arrival, caller,
                               kHttpFrontend);
  }
};

// Writes the next event of `stream`; false when the client is gone.
bool WriteNextEvent(EventStream& stream, httplib::DataSink& sink) {
  // A comment line every half second while the model works: it keeps
  // proxies from timing the stream out, and a write to a closed connection
  // is how a disconnect shows (it then cancels the request).
  std::optional<GenerateStream::Event> event =
      stream.generate->Next(absl::Milliseconds(500));
  std::string chunk;
  if (!event.has_value()) {
    chunk = ": working\n\n";
  } else if (event->message.has_value()) {
    if (event->message->has_result()) {
      const v1::Usage& usage = event->message->result().usage();
      stream.environment->ChargeTokens(
          stream.caller, usage.input_tokens() + usage.output_tokens());
    }
    chunk = absl::StrCat("data: ", ToJson(*event->message), "\n\n");
  } else {
    if (!event->end.ok()) {
      chunk =
          absl::StrCat("event: error\ndata: ", ErrorJson(event->end), "\n\n");
    }
    if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) {
      stream.Record(absl::StatusCode::kCancelled);
      return false;
    }
    stream.Record(event->end.code());
    sink.done();
    return true;
  }
  if (!sink.write(chunk.data(), chunk.size())) {
    stream.generate->Cancel();
    stream.Record(absl::StatusCode::kCancelled);
    return false;
  }
  return true;
}

void Generate(const CallEnvironment& environment,
              const httplib::Request& request, httplib::Response& response) {
  auto stream = std::make_shared<EventStream>();
  stream->environment = &environment;
  stream->arrival = environment.clock()->Now();
  absl::Status status = [&]() -> absl::Status {
    RETURN_IF_ERROR(AuthorizeHttp(environment, request, "", &stream->caller));
    ASSIGN_OR_RETURN(const ServingBackend* backend, environment.backend());
    ASSIGN_OR_RETURN(const absl::Time deadline,
                     HttpDeadline(request, stream->arrival));
    v1::GenerateRequest parsed;
    RETURN_IF_ERROR(ParseJsonBody(request.body, &parsed));
    ASSIGN_OR_RETURN(
        stream->generate,
        GenerateStream::Start(*backend, parsed, stream->arrival, deadline));
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    stream->Record(status.code());
    return AnswerError(status, response);
  }
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");  // nginx: do not buffer
  response.set_chunked_content_provider(
      "text/event-stream",
      [stream](size_t, httplib::DataSink& sink) {
        return WriteNextEvent(*stream, sink);
      },
      [stream](bool success) {
        if (!success) {
          stream->generate->Cancel();
          stream->Record(absl::StatusCode::kCancelled);
        }
      });
}

}  // namespace

void AddJsonApiRoutes(const CallEnvironment* environment,
                      httplib::Server& server) {
  server.Post("/v1/translate", [environment](const httplib::Request& request,
                                             httplib::Response& response) {
    AnswerCall(*environment, "Translate", response, ErrorShape::kGlossa,
               [&](absl::Time arrival, std::string* caller) {
                 return Translate(*environment, request, arrival, caller,
                                  response);
               });
  });
  server.Post("/v1/generate", [environment](const httplib::Request& request,
                                            httplib::Response& response) {
    Generate(*environment, request, response);
  });
  server.Get("/v1/models", [environment](const httplib::Request& request,
                                         httplib::Response& response) {
    AnswerAtOnce(*environment, "ListModels", request, response,
                 [&](const ServingBackend& backend) {
                   v1::ListModelsResponse list;
                   *list.add_models() = backend.info;
                   response.set_content(ToJson(list), kJson);
                   return absl::OkStatus();
                 });
  });
  server.Get(
      R"(/v1/models/([^/]+))", [environment](const httplib::Request& request,
                                             httplib::Response& response) {
        AnswerAtOnce(*environment, "GetModelInfo", request, response,
                     [&](const ServingBackend& backend) {
                       const std::string name = request.matches[1];
                       RETURN_IF_ERROR(backend.validator->CheckModelName(name));
                       response.set_content(ToJson(backend.info), kJson);
                       return absl::OkStatus();
                     });
      });
  server.Get("/healthz",
             [](const httplib::Request&, httplib::Response& response) {
               response.set_content(R"({"status":"live"})", kJson);
             });
  server.Get("/readyz", [environment](const httplib::Request&,
                                      httplib::Response& response) {
    absl::StatusOr<const ServingBackend*> backend = environment->backend();
    if (!backend.ok()) return AnswerError(backend.status(), response);
    response.set_content(R"({"status":"ready"})", kJson);
  });
}

}  // namespace glossa::server
