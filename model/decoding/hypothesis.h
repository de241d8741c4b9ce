#ifndef GLOSSA_MODEL_DECODING_HYPOTHESIS_H_
#define GLOSSA_MODEL_DECODING_HYPOTHESIS_H_

#include <utility>
#include <vector>

namespace glossa::model {

// One finished hypothesis: generated token ids (without the decoder start
// token, with no trailing EOS) and its score (beam: length-normalised sum of
// log-probabilities; greedy / sampling: sum of log-probabilities).
struct Hypothesis {
  std::vector<int> token_ids;
  float score = 0.0f;
  // Whether decoding spent a step on end-of-sentence for it (chosen by the
  // model or forced at the length limit). False when the length limit cut
  // it off with no EOS (forced_eos_token_id: null). Engine::OutputTokens
  // turns this into the token count every caller reports.
  bool ended_with_eos = true;
  // The log-probability of each of token_ids, as the search scored it
  // (greedy / sampling: under the model's distribution; beam search: after
  // the repetition rules, and 0 for forced tokens).
  std::vector<float> token_logprobs = {};
  // With DecodingOptions::return_alignments: for each of token_ids, the
  // source position (index into the encoder's input ids) its step attended
  // to most.
  std::vector<int> alignments = {};
  // With DecodingOptions::token_alternatives: for each of token_ids, the
  // step's most likely (id, log-probability) pairs, best first.
  std::vector<std::vector<std::pair<int, float>>> alternatives = {};
};

enum class FinishReason { kEos, kLength };

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_DECODING_HYPOTHESIS_H_
