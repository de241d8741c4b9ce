#ifndef GLOSSA_SERVER_HTTP_JSON_API_H_
#define GLOSSA_SERVER_HTTP_JSON_API_H_

#include "httplib.h"
#include "server/calls/call_environment.h"

namespace glossa::server {

// Glossa's own JSON API, the proto3 JSON mapping of the gRPC messages:
//   POST /v1/translate      TranslateRequest -> TranslateResponse
//   POST /v1/generate       GenerateRequest -> Server-Sent Events, one
//                           `data:` GenerateResponse per message, the last
//                           with the result; an error after the stream has
//                           begun is an `event: error`
//   GET  /v1/models         ListModelsResponse
//   GET  /v1/models/{name}  ModelInfo
//   GET  /healthz           200 while the process runs
//   GET  /readyz            200 once the model serves, 503 before and
//                           while draining
// `environment` must outlive the server.
void AddJsonApiRoutes(const CallEnvironment* environment,
                      httplib::Server& server);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_JSON_API_H_
