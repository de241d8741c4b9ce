#ifndef GLOSSA_MODEL_BEAM_SEARCH_H_
#define GLOSSA_MODEL_BEAM_SEARCH_H_

#include <vector>

#include "model/decoding/hypothesis.h"

// Hugging Face's beam search bookkeeping (BeamSearchScorer with
// early_stopping True or False), kept separate from the model so that it can be
// tested on its own.
namespace glossa::model {

// The finished hypotheses of one source: at most num_beams, scored
// sum_logprobs / length^length_penalty (tools/reference/DECODING.md says
// which length each caller passes).
class BeamHypotheses {
 public:
  BeamHypotheses(int num_beams, float length_penalty)
      : num_beams_(num_beams), length_penalty_(length_penalty) {}

  // `eos`: the hypothesis ended on end-of-sentence (not cut off by the
  // length limit).
  void Add(std::vector<int> tokens, double sum_logprobs, int length, bool eos) {
    Add(Hypothesis{std::move(tokens), 0.0f, eos}, sum_logprobs, length);
  }
  // The same with the hypothesis's per-token details; its score is set
  // here.
  void Add(Hypothesis hypothesis, double sum_logprobs, int length);
  // Done when full and, with early_stopping, at once; without it (Hugging
  // Face's early_stopping=False), once the best running candidate,
  // normalised at the current length, cannot beat the worst kept.
  bool IsDone(double best_running_sum_logprobs, int current_length,
              bool early_stopping = false) const;
  // The same test over only the best `count` kept hypotheses: enough for a
  // search that returns `count` of them and whose pool fills slowly
  // (terminology, where only hypotheses holding every term may end).
  bool IsDoneFor(int count, double best_running_sum_logprobs,
                 int current_length, bool early_stopping) const;
  // Best first.
  std::vector<Hypothesis> Best(int count) const;
  int size() const { return static_cast<int>(hypotheses_.size()); }
  // How many leading tokens every kept hypothesis shares with `tokens`.
  int CommonPrefix(const std::vector<int>& tokens, int at_most) const;

 private:
  int num_beams_;
  float length_penalty_;
  // Normalised scores in double, as Hugging Face computes them in Python.
  struct Finished {
    double score;
    Hypothesis hypothesis;
  };
  std::vector<Finished> hypotheses_;
  double worst_score_ = 1e9;
};

// A candidate continuation: beam `parent` extended by `token`, with the new
// cumulative log-probability `score`.
struct BeamCandidate {
  float score;
  int parent;
  int token;
};

// The 2*num_beams best continuations over all live beams, best first.
// `scores` holds, per live beam, log-probabilities after the generation
// rules; `beam_scores` the beams' cumulative log-probabilities.
std::vector<BeamCandidate> SelectBeamCandidates(
    const std::vector<const float*>& scores,
    const std::vector<float>& beam_scores, int vocab_size, int num_beams);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_BEAM_SEARCH_H_
