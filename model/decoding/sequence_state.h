#ifndef GLOSSA_MODEL_DECODING_SEQUENCE_STATE_H_
#define GLOSSA_MODEL_DECODING_SEQUENCE_STATE_H_

// The batch decoder's per-sequence state, shared by the files that
// implement BatchDecoder (batch_decoder.cc: adding, stepping, caches;
// decoder_steps.cc: choosing tokens). Not for other users.

#include <memory>
#include <random>
#include <vector>

#include "model/decoding/batch_decoder.h"
#include "model/decoding/beam_search.h"
#include "model/decoding/constraints.h"
#include "model/decoding/logits_processing.h"

namespace glossa::model {

struct BatchDecoder::Sequence {
  struct Beam {
    std::vector<int> tokens;      // generated so far, no start token
    std::vector<float> logprobs;  // per token
    std::vector<int> alignments;  // per token, with return_alignments
    // Per token, with token_alternatives (greedy and sampling only).
    std::vector<std::vector<std::pair<int, float>>> alternatives;
    // This step's cross-attention weights (return_alignments only).
    std::vector<float> attention;
    float sum_logprobs = 0.0f;
    DecoderCache cache;
    ConstraintState constraint;  // terminology only
  };

  uint64_t id = 0;
  DecodingOptions options;
  std::vector<int> forced;   // ForcedTokens(options)
  int alignment_layer = -1;  // with return_alignments
  int max_output = 0;
  EncodedSource source;
  std::vector<Beam> beams;                   // one for greedy and sampling
  std::unique_ptr<BeamHypotheses> finished;  // beam search only
  // Terminology: hypotheses the length limit ended short of a term, only
  // returned when none holds every term.
  std::unique_ptr<BeamHypotheses> unmet;
  std::mt19937_64 rng;
  int generated = 0;  // tokens generated per beam so far
  int stable = 0;     // beam search: leading tokens reported final
  bool done = false;  // finished this step; leaves the batch after it
  // Caches set aside for the first beam-search step, which turns one beam
  // into num_beams.
  std::vector<DecoderCache> spare_caches;

  bool is_beam() const { return options.beam_size > 1; }
  bool constrained() const { return !options.constraints.empty(); }
};

namespace decoding_internal {

// The source position a beam's step attended to most. (Templates: the beam
// type is private to the decoder.)
template <typename Beam>
inline int AttendedPosition(const Beam& beam) {
  return beam.attention.empty()
             ? -1
             : Argmax(beam.attention.data(),
                      static_cast<int>(beam.attention.size()));
}

// A beam as a finished hypothesis (the caller sets or passes the score).
template <typename Beam>
inline Hypothesis HypothesisOf(const Beam& beam, float score,
                               bool ended_with_eos) {
  return {beam.tokens,   score,           ended_with_eos,
          beam.logprobs, beam.alignments, beam.alternatives};
}

}  // namespace decoding_internal

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_DECODING_SEQUENCE_STATE_H_
