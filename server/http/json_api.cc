#include "server/http/json_api.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"
#include "server/http/http_calls.h"
#include "server/http/http_request.h"
#include "server/http/http_status.h"

namespace glossa::server {
namespace {

constexpr char kJson[] = "application/json";

// A call answered at once: authorize, find the models, then
// `answer(models, &record)` writes the body and returns the status.
template <typename Answer>
void AnswerAtOnce(const CallEnvironment& environment, absl::string_view rpc,
                  const httplib::Request& request, httplib::Response& response,
                  const Answer& answer) {
  AnswerCall(environment, rpc, response, ErrorShape::kGlossa,
             [&](absl::Time, CallRecord* record) -> absl::Status {
               RETURN_IF_ERROR(
                   AuthorizeHttp(environment, request, "", &record->caller));
               ASSIGN_OR_RETURN(ModelDirectory * models, environment.models());
               return answer(*models, record);
             });
}

// The administration routes: an admin key, then `start(models, done)`;
// the handler thread waits for `done` (loads take seconds to minutes).
template <typename Start>
void AnswerAdmin(const CallEnvironment& environment, absl::string_view rpc,
                 const httplib::Request& request, httplib::Response& response,
                 const Start& start) {
  AnswerCall(environment, rpc, response, ErrorShape::kGlossa,
             [&](absl::Time, CallRecord* record) -> absl::Status {
               RETURN_IF_ERROR(
                   AuthorizeHttp(environment, request, "", &record->caller));
               RETURN_IF_ERROR(environment.AuthorizeAdmin(record->caller));
               ASSIGN_OR_RETURN(ModelDirectory * models, environment.models());
               absl::Notification finished;
               absl::StatusOr<v1::ModelInfo> outcome = absl::UnknownError("");
               start(*models, [&](absl::StatusOr<v1::ModelInfo> info) {
                 outcome = std::move(info);
                 finished.Notify();
               });
               finished.WaitForNotification();
               if (!outcome.ok()) return outcome.status();
               record->model = outcome->name();
               response.set_content(ToJson(*outcome), kJson);
               return absl::OkStatus();
             });
}

absl::Status Translate(const CallEnvironment& environment,
                       const httplib::Request& request, absl::Time arrival,
                       CallRecord* record, httplib::Response& response) {
  RETURN_IF_ERROR(AuthorizeHttp(environment, request, "", &record->caller));
  ASSIGN_OR_RETURN(const absl::Time deadline, HttpDeadline(request, arrival));
  v1::TranslateRequest parsed;
  RETURN_IF_ERROR(ParseJsonBody(request.body, &parsed));
  ASSIGN_OR_RETURN(std::shared_ptr<const ServingBackend> backend,
                   environment.backend(parsed.model()));
  record->model = backend->name;
  ASSIGN_OR_RETURN(v1::TranslateResponse answer,
                   RunTranslate(*backend, parsed, arrival, deadline));
  environment.ChargeTokens(record->caller, answer.usage().input_tokens() +
                                               answer.usage().output_tokens());
  response.set_content(ToJson(answer), kJson);
  return absl::OkStatus();
}

absl::Status TranslateDocument(const CallEnvironment& environment,
                               const httplib::Request& request,
                               absl::Time arrival, CallRecord* record,
                               httplib::Response& response) {
  RETURN_IF_ERROR(AuthorizeHttp(environment, request, "", &record->caller));
  ASSIGN_OR_RETURN(const absl::Time deadline, HttpDeadline(request, arrival));
  v1::TranslateDocumentRequest parsed;
  RETURN_IF_ERROR(ParseJsonBody(request.body, &parsed));
  ASSIGN_OR_RETURN(std::shared_ptr<const ServingBackend> backend,
                   environment.backend(parsed.model()));
  record->model = backend->name;
  ASSIGN_OR_RETURN(v1::TranslateDocumentResponse answer,
                   RunDocument(*backend, parsed, arrival, deadline));
  environment.ChargeTokens(record->caller, answer.usage().input_tokens() +
                                               answer.usage().output_tokens());
  response.set_content(ToJson(answer), kJson);
  return absl::OkStatus();
}

// One Server-Sent Events stream: what the content provider and its
// releaser share (both run on the connection's worker thread).
struct EventStream {
  const CallEnvironment* environment;
  // Held until the stream ends: the model version may not be released
  // while it decodes.
  std::shared_ptr<const ServingBackend> backend;
  std::shared_ptr<GenerateStream> generate;
  absl::Time arrival;
  std::string caller;
  bool recorded = false;

  void Record(absl::StatusCode code) {
    if (recorded) return;
    recorded = true;
    environment->RecordRequest("Generate",
                               backend == nullptr ? "" : backend->name, code,
                               arrival, caller, kHttpFrontend);
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
    ASSIGN_OR_RETURN(const absl::Time deadline,
                     HttpDeadline(request, stream->arrival));
    v1::GenerateRequest parsed;
    RETURN_IF_ERROR(ParseJsonBody(request.body, &parsed));
    ASSIGN_OR_RETURN(stream->backend, environment.backend(parsed.model()));
    ASSIGN_OR_RETURN(stream->generate,
                     GenerateStream::Start(*stream->backend, parsed,
                                           stream->arrival, deadline));
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
  server.Post(
      "/v1/translate", WithBody([environment](const httplib::Request& request,
                                              httplib::Response& response) {
        AnswerCall(*environment, "Translate", response, ErrorShape::kGlossa,
                   [&](absl::Time arrival, CallRecord* record) {
                     return Translate(*environment, request, arrival, record,
                                      response);
                   });
      }));
  server.Post("/v1/translate_document",
              WithBody([environment](const httplib::Request& request,
                                     httplib::Response& response) {
                AnswerCall(*environment, "TranslateDocument", response,
                           ErrorShape::kGlossa,
                           [&](absl::Time arrival, CallRecord* record) {
                             return TranslateDocument(*environment, request,
                                                      arrival, record,
                                                      response);
                           });
              }));
  server.Post("/v1/generate",
              WithBody([environment](const httplib::Request& request,
                                     httplib::Response& response) {
                Generate(*environment, request, response);
              }));
  server.Get("/v1/models", [environment](const httplib::Request& request,
                                         httplib::Response& response) {
    AnswerAtOnce(*environment, "ListModels", request, response,
                 [&](const ModelDirectory& models, CallRecord*) {
                   response.set_content(ToJson(models.List()), kJson);
                   return absl::OkStatus();
                 });
  });
  server.Get(R"(/v1/models/([^/]+))", [environment](
                                          const httplib::Request& request,
                                          httplib::Response& response) {
    AnswerAtOnce(*environment, "GetModelInfo", request, response,
                 [&](const ModelDirectory& models, CallRecord* record) {
                   ASSIGN_OR_RETURN(v1::ModelInfo info,
                                    models.Describe(request.matches[1].str()));
                   record->model = info.name();
                   response.set_content(ToJson(info), kJson);
                   return absl::OkStatus();
                 });
  });
  // POST /v1/models/NAME/load (body: a LoadModelRequest's path and
  // compute_type, optional) and /v1/models/NAME/unload.
  server.Post(
      R"(/v1/models/([^/]+)/load)",
      WithBody([environment](const httplib::Request& request,
                             httplib::Response& response) {
        AnswerAdmin(
            *environment, "LoadModel", request, response,
            [&](ModelDirectory& models, ModelDirectory::InfoCallback done) {
              v1::LoadModelRequest load;
              if (!request.body.empty()) {
                if (absl::Status parsed = ParseJsonBody(request.body, &load);
                    !parsed.ok()) {
                  return done(parsed);
                }
              }
              load.set_model(request.matches[1].str());
              models.Load(load, std::move(done));
            });
      }));
  server.Post(R"(/v1/models/([^/]+)/unload)",
              WithBody([environment](const httplib::Request& request,
                                     httplib::Response& response) {
                AnswerAdmin(*environment, "UnloadModel", request, response,
                            [&](ModelDirectory& models,
                                ModelDirectory::InfoCallback done) {
                              v1::UnloadModelRequest unload;
                              unload.set_model(request.matches[1].str());
                              models.Unload(unload, std::move(done));
                            });
              }));
  server.Get("/healthz",
             [](const httplib::Request&, httplib::Response& response) {
               response.set_content(R"({"status":"live"})", kJson);
             });
  server.Get("/readyz", [environment](const httplib::Request&,
                                      httplib::Response& response) {
    if (!environment->ready()) {
      return AnswerError(
          absl::UnavailableError("the server is starting or shutting down"),
          response);
    }
    response.set_content(R"({"status":"ready"})", kJson);
  });
}

}  // namespace glossa::server
