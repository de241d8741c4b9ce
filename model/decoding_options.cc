#include "model/decoding_options.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "model/config.h"

namespace glossa::model {

int EffectiveMaxOutputTokens(const DecodingOptions& options,
                             const ModelConfig& config) {
  // Hugging Face's max_length counts the decoder start token; positions run
  // out at max_position_embeddings.
  const int model_limit =
      std::min(config.max_length - 1, config.max_position_embeddings);
  if (options.max_output_tokens <= 0) return std::max(1, model_limit);
  return options.max_output_tokens;
}

absl::Status ValidateDecodingOptions(const DecodingOptions& options,
                                     const ModelConfig& config,
                                     const DecodingLimits& limits) {
  const auto invalid = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(parts...));
  };
  if (options.beam_size < 1 || options.beam_size > limits.max_beam_size) {
    return invalid("beam_size must be in [1, ", limits.max_beam_size, "], got ",
                   options.beam_size);
  }
  if (options.sampling && options.beam_size != 1) {
    return invalid("beam_size must be 1 when sampling, got ",
                   options.beam_size);
  }
  if (options.num_hypotheses < 1 ||
      options.num_hypotheses > options.beam_size) {
    return invalid("num_hypotheses must be in [1, beam_size=",
                   options.beam_size, "], got ", options.num_hypotheses);
  }
  if (!std::isfinite(options.length_penalty) ||
      std::fabs(options.length_penalty) > 10.0f) {
    return invalid("length_penalty must be in [-10, 10], got ",
                   options.length_penalty);
  }
  int max_allowed = config.max_position_embeddings;
  if (limits.max_output_tokens > 0) {
    max_allowed = std::min(max_allowed, limits.max_output_tokens);
  }
  if (options.max_output_tokens < 0 ||
      options.max_output_tokens > max_allowed) {
    return invalid("max_output_tokens must be in [1, ", max_allowed,
                   "] (0 = default), got ", options.max_output_tokens);
  }
  const int max_output =
      std::min(EffectiveMaxOutputTokens(options, config), max_allowed);
  if (options.min_output_tokens < 0 || options.min_output_tokens > max_output) {
    return invalid("min_output_tokens must be in [0, max_output_tokens=",
                   max_output, "], got ", options.min_output_tokens);
  }
  if (!(options.temperature >= 0.0f) || !std::isfinite(options.temperature)) {
    return invalid("temperature must be >= 0, got ", options.temperature);
  }
  if (options.top_k < 0) {
    return invalid("top_k must be >= 0 (0 = off), got ", options.top_k);
  }
  if (!(options.top_p > 0.0f && options.top_p <= 1.0f)) {
    return invalid("top_p must be in (0, 1], got ", options.top_p);
  }
  return absl::OkStatus();
}

}  // namespace glossa::model
