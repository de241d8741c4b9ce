#ifndef GLOSSA_MODEL_LOGITS_PROCESSING_H_
#define GLOSSA_MODEL_LOGITS_PROCESSING_H_

#include <random>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "model/decoding/decoding_options.h"
#include "model/io/config.h"

// The per-step rules of Hugging Face's generate() for Marian, applied to one
// row of scores (logits or log-probabilities).
namespace glossa::model {

// Bans pad (never_generate_pad) and bad_words_ids, bans EOS while fewer
// than min_output tokens would be emitted, forces the forced prefix's token
// while the output is shorter than it, and at the last allowed step forces
// EOS when the config asks for it. A forced token gets 0 and every other
// -inf, as ForcedBOS/EOSTokenLogitsProcessor do; the forced EOS comes last
// and wins. `generated` counts tokens already generated for this row.
void ApplyGenerationRules(const ModelConfig& config, int generated,
                          int min_output, int max_output,
                          absl::Span<const int> forced_prefix, float* scores);

// Hugging Face's RepetitionPenaltyLogitsProcessor and
// NoRepeatNGramLogitsProcessor (options.repetition_penalty,
// no_repeat_ngram_size) over `history`, the decoder sequence so far (start
// token included), applied before the rules above as Hugging Face orders
// them. `log_z` is what turns a row value into the score those processors
// see: 0 when the row holds raw logits and they see logits (greedy,
// sampling), the row's logsumexp when they see log-probabilities (beam
// search keeps raw logits and shifts later).
void ApplyRepetitionRules(const DecodingOptions& options,
                          absl::Span<const int> history, float log_z,
                          float* scores);

// Whether the options turn on any rule of ApplyRepetitionRules.
bool HasRepetitionRules(const DecodingOptions& options);

// Whether the rules above force this step's token (its score is then 0 in
// log space).
bool IsForcedStep(const ModelConfig& config, int generated, int max_output,
                  absl::Span<const int> forced_prefix);

int Argmax(const float* x, int n);

// The k largest (value, index) pairs, best first; ties by lower index.
std::vector<std::pair<float, int>> TopK(const float* x, int n, int k);

// Temperature, top-k and top-p (in that order, as Hugging Face's warpers),
// then a draw from the softmax. Modifies `logits`.
int SampleToken(float* logits, int n, const DecodingOptions& options,
                std::mt19937_64& rng);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_LOGITS_PROCESSING_H_
