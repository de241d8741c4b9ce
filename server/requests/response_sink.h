#ifndef GLOSSA_SERVER_REQUESTS_RESPONSE_SINK_H_
#define GLOSSA_SERVER_REQUESTS_RESPONSE_SINK_H_

#include "absl/status/status.h"
#include "glossa/v1/glossa.pb.h"

namespace glossa::server {

// Where a request's answers go: the front-end call that waits for them (a
// gRPC reactor). Send() any number of times, then Close() exactly once;
// both from the scheduler thread (or from the front-end's own thread when a
// request is answered without decoding), and neither may block. Translate
// sends one response, Generate one per decoded piece and then the result;
// both end the same way.
template <typename Response>
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void Send(Response response) = 0;
  virtual void Close(absl::Status status) = 0;
};

using TranslateSink = ResponseSink<v1::TranslateResponse>;
using GenerateSink = ResponseSink<v1::GenerateResponse>;

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_RESPONSE_SINK_H_
