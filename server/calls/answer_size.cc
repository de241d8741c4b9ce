#include "server/calls/answer_size.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace glossa::server {

absl::Status CheckAnswerSize(const google::protobuf::Message& answer,
                             int64_t max_bytes) {
  const size_t bytes = answer.ByteSizeLong();
  if (max_bytes <= 0 || bytes <= static_cast<size_t>(max_bytes)) {
    return absl::OkStatus();
  }
  absl::Status refused = absl::ResourceExhaustedError(absl::StrCat(
      "the answer would be ", bytes, " bytes, over --max_message_bytes (",
      max_bytes,
      "); send less text, or ask for fewer output tokens, hypotheses, "
      "alternatives or terms"));
  refused.SetPayload(kAnswerTooLargePayload, absl::Cord(""));
  return refused;
}

}  // namespace glossa::server
