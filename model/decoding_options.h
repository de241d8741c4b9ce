#ifndef GLOSSA_MODEL_DECODING_OPTIONS_H_
#define GLOSSA_MODEL_DECODING_OPTIONS_H_

#include <cstdint>

#include "absl/status/status.h"

namespace glossa::model {

struct ModelConfig;

// How one source sentence is decoded. Defaults follow Hugging Face's
// generate() for Marian models, so that the same tokens come out.
struct DecodingOptions {
  // Beam width. 1 = greedy (or sampling when `sampling` is set).
  int beam_size = 1;
  // Hypotheses returned per source, best first. Must be <= beam_size
  // (or exactly 1 when sampling).
  int num_hypotheses = 1;
  // Beam score = sum(logprobs) / (generated_length ^ length_penalty).
  float length_penalty = 1.0f;
  // Output length bounds in generated tokens, excluding the decoder start
  // token and including the final EOS. 0 for max means "model limit".
  int max_output_tokens = 0;
  int min_output_tokens = 0;
  // Random sampling instead of argmax / beam search.
  bool sampling = false;
  // Sampling controls: temperature > 0; top_k 0 = off; top_p in (0, 1].
  float temperature = 1.0f;
  int top_k = 0;
  float top_p = 1.0f;
  // Seed of this sequence's own generator: the same seed gives the same
  // output whether the sequence is decoded alone or batched with others.
  uint64_t seed = 0;
};

// Upper bounds a caller may want to impose beyond the model's own.
struct DecodingLimits {
  int max_beam_size = 16;
  int max_output_tokens = 0;  // 0 = the model's max_position_embeddings
};

// InvalidArgument naming the field, the value and the allowed range.
absl::Status ValidateDecodingOptions(const DecodingOptions& options,
                                     const ModelConfig& config,
                                     const DecodingLimits& limits = {});

// max_output_tokens with the 0 default resolved against the model.
int EffectiveMaxOutputTokens(const DecodingOptions& options,
                             const ModelConfig& config);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_DECODING_OPTIONS_H_
