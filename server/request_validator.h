#ifndef GLOSSA_SERVER_REQUEST_VALIDATOR_H_
#define GLOSSA_SERVER_REQUEST_VALIDATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "glossa/v1/glossa.pb.h"
#include "model/config.h"
#include "model/decoding_options.h"
#include "server/engine.h"

namespace glossa::server {

// What a request may ask for. The server flags of the same names set them;
// the validator caps the token limits at the model's maximum length.
struct RequestLimits {
  int max_segments = 64;       // texts per Translate request
  int max_input_tokens = 512;  // tokens per text, EOS included
  int max_output_tokens = 512;
  int max_beam_size = 8;
  int max_stop_sequences = 8;
  int max_stop_sequence_bytes = 64;
};

// A Translate request checked and tokenized.
struct ValidatedTranslate {
  struct Segment {
    bool blank = false;           // empty or white space only: not decoded
    std::vector<int> source_ids;  // ending with EOS; empty when blank
  };
  std::vector<Segment> segments;
  model::DecodingOptions options;
  bool return_scores = false;
};

// A Generate request checked and tokenized.
struct ValidatedGenerate {
  std::vector<int> source_ids;
  model::DecodingOptions options;
  std::vector<std::string> stop;
};

// Checks requests against the model and the limits, and tokenizes them, on
// the calling (gRPC) thread. Errors are INVALID_ARGUMENT (NOT_FOUND for an
// unknown model) with a message naming the field, the value and what is
// allowed. Thread-safe.
class RequestValidator {
 public:
  // `codec` must outlive the validator.
  RequestValidator(const TextCodec* codec, const model::ModelConfig& config,
                   const RequestLimits& limits, std::string model_name);

  absl::StatusOr<ValidatedTranslate> ValidateTranslate(
      const v1::TranslateRequest& request) const;
  absl::StatusOr<ValidatedGenerate> ValidateGenerate(
      const v1::GenerateRequest& request) const;
  // OK for "" and the served model's name; NOT_FOUND otherwise.
  absl::Status CheckModelName(absl::string_view name) const;

  // The limits in force (token limits capped by the model).
  const RequestLimits& limits() const { return limits_; }
  const std::string& model_name() const { return model_name_; }

 private:
  absl::StatusOr<std::vector<int>> Tokenize(absl::string_view field,
                                            absl::string_view text) const;
  absl::Status ValidateSampling(absl::string_view field,
                                const v1::SamplingOptions& sampling,
                                model::DecodingOptions* options) const;
  absl::Status ValidateLengths(absl::string_view max_field, bool has_max,
                               int max, absl::string_view min_field,
                               bool has_min, int min,
                               model::DecodingOptions* options) const;

  const TextCodec* const codec_;
  const model::ModelConfig config_;
  const RequestLimits limits_;
  const int default_max_output_tokens_;
  const std::string model_name_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUEST_VALIDATOR_H_
