#ifndef GLOSSA_SERVER_CALLS_ANSWER_SIZE_H_
#define GLOSSA_SERVER_CALLS_ANSWER_SIZE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace glossa::server {

// The payload a refusal below carries, so that HTTP answers it with 413
// (the request asked for too much) rather than RESOURCE_EXHAUSTED's 429,
// whose Retry-After would have clients send the same request again.
inline constexpr absl::string_view kAnswerTooLargePayload =
    "glossa.dev/answer-too-large";

// RESOURCE_EXHAUSTED, saying what to ask for instead, when `answer` is over
// `max_bytes` serialized (ServingLimits.max_message_bytes). Checked before
// an answer is sent, on both front-ends: gRPC would otherwise refuse to send
// it with a transport error after the work is done, recorded as OK, and an
// HTTP answer would exceed the bound its gRPC twin holds to. A document's
// or a request's input is bounded, but its answer grows with hypotheses,
// alternatives, alignments and terms.
absl::Status CheckAnswerSize(const google::protobuf::Message& answer,
                             int64_t max_bytes);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_CALLS_ANSWER_SIZE_H_
