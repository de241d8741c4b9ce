#ifndef GLOSSA_SERVER_REQUESTS_REQUEST_VALIDATOR_H_
#define GLOSSA_SERVER_REQUESTS_REQUEST_VALIDATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "glossa/v1/glossa.pb.h"
#include "model/decoding/decoding_options.h"
#include "model/engine.h"
#include "server/requests/model_languages.h"

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
  model::LanguageChoice languages;
  std::vector<model::SourceText> segments;  // blank ones are not decoded
  model::DecodingOptions options;
  // Per segment (parallel to `segments`, or empty when no segment has
  // one): the segment's own options when it has a target prefix or
  // applicable terminology.
  std::vector<std::optional<model::DecodingOptions>> segment_options;
  // Per segment: the indices of the terms in its options' constraints, in
  // their order (empty when `segment_options` is).
  std::vector<std::vector<int>> applied_terms;
  bool return_scores = false;
  bool return_token_logprobs = false;
  // With options.return_alignments: per segment, the byte range of its
  // text each source token covers (Engine::SourceSpans).
  std::vector<std::vector<model::TokenSpan>> source_spans;
  // Whether its segments may come from and go to the translation cache:
  // options.use_cache unset or true, and not sampling without a seed.
  bool cacheable = true;

  // The options segment `i` decodes with.
  const model::DecodingOptions& OptionsFor(size_t i) const {
    return i < segment_options.size() && segment_options[i].has_value()
               ? *segment_options[i]
               : options;
  }
};

// A Generate request checked and tokenized.
struct ValidatedGenerate {
  model::LanguageChoice languages;
  std::vector<int> source_ids;
  model::DecodingOptions options;
  std::vector<std::string> stop;
};

// Turns proto requests into engine requests on the calling (gRPC) thread:
// reads the fields (presence decides defaults), then leaves every rule to
// the engine facade (source checks, option defaults and ranges), passing
// the proto field paths so that messages name them. What is the server's
// own: segment and stop-sequence counts (the model registry picks the model
// a request names). Errors are INVALID_ARGUMENT. Thread-safe.
class RequestValidator {
 public:
  RequestValidator(std::shared_ptr<const model::Engine> engine,
                   const RequestLimits& limits, std::string model_name);

  absl::StatusOr<ValidatedTranslate> ValidateTranslate(
      const v1::TranslateRequest& request) const;
  // The same with another bound on the segment count (a document's
  // sentences).
  absl::StatusOr<ValidatedTranslate> ValidateTranslate(
      const v1::TranslateRequest& request, int max_segments) const;
  absl::StatusOr<ValidatedGenerate> ValidateGenerate(
      const v1::GenerateRequest& request) const;

  // A request's languages (Engine::ResolveLanguages), where a one-pair
  // model named "<src>-<tgt>" also takes its own pair's codes.
  absl::StatusOr<model::LanguageChoice> ResolveLanguages(
      absl::string_view source, absl::string_view target) const;

  // The language whose sentence rules split a document: the requested
  // source language, else the one the model's name or tokenizer gives
  // (empty when neither does).
  std::string DocumentLanguage(absl::string_view requested) const;

  // The limits in force (token limits capped by the model).
  const RequestLimits& limits() const { return limits_; }
  // The options a request starts from (Engine::DefaultOptions within the
  // limits), which GetModelInfo reports.
  const model::DecodingOptions& defaults() const { return defaults_; }
  const std::string& model_name() const { return model_name_; }
  const model::Engine& engine() const { return *engine_; }

 private:
  // Reads a proto SamplingOptions into `options`.
  void ReadSampling(const v1::SamplingOptions& sampling,
                    model::DecodingOptions* options) const;
  model::DecodingLimits decoding_limits() const;
  // Target prefixes and terminology into per-segment options.
  absl::Status ReadForcedOutput(const v1::TranslateRequest& request,
                                ValidatedTranslate* validated) const;

  const std::shared_ptr<const model::Engine> engine_;
  const RequestLimits limits_;
  const model::DecodingOptions defaults_;
  const std::string model_name_;
  const NamedPair named_pair_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_REQUEST_VALIDATOR_H_
