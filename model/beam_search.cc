#include "model/beam_search.h"

#include <algorithm>
#include <cmath>

#include "model/logits_processing.h"

namespace glossa::model {

void BeamHypotheses::Add(std::vector<int> tokens, float sum_logprobs,
                         int length) {
  const float score =
      sum_logprobs / std::pow(static_cast<float>(length), length_penalty_);
  if (size() < num_beams_ || score > worst_score_) {
    hypotheses_.push_back({std::move(tokens), score});
    if (size() > num_beams_) {
      auto worst =
          std::min_element(hypotheses_.begin(), hypotheses_.end(),
                           [](const Hypothesis& a, const Hypothesis& b) {
                             return a.score < b.score;
                           });
      hypotheses_.erase(worst);
      worst_score_ =
          std::min_element(hypotheses_.begin(), hypotheses_.end(),
                           [](const Hypothesis& a, const Hypothesis& b) {
                             return a.score < b.score;
                           })
              ->score;
    } else {
      worst_score_ = std::min(score, worst_score_);
    }
  }
}

bool BeamHypotheses::IsDone(float best_running_sum_logprobs,
                            int current_length) const {
  if (size() < num_beams_) return false;
  const float best_attainable =
      best_running_sum_logprobs /
      std::pow(static_cast<float>(current_length), length_penalty_);
  return worst_score_ >= best_attainable;
}

std::vector<Hypothesis> BeamHypotheses::Best(int count) const {
  std::vector<Hypothesis> sorted = hypotheses_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Hypothesis& a, const Hypothesis& b) {
                     return a.score > b.score;
                   });
  if (static_cast<int>(sorted.size()) > count) sorted.resize(count);
  return sorted;
}

std::vector<BeamCandidate> SelectBeamCandidates(
    const std::vector<const float*>& scores,
    const std::vector<float>& beam_scores, int vocab_size, int num_beams) {
  const int k = 2 * num_beams;
  std::vector<BeamCandidate> all;
  all.reserve(scores.size() * k);
  // The global top-k is contained in the union of each beam's top-k.
  for (size_t b = 0; b < scores.size(); ++b) {
    for (const auto& [value, token] : TopK(scores[b], vocab_size, k)) {
      all.push_back({value + beam_scores[b], static_cast<int>(b), token});
    }
  }
  // Ties resolve to the lower flat index (beam * vocab + token), as a stable
  // top-k over the flattened scores would.
  std::sort(all.begin(), all.end(),
            [](const BeamCandidate& a, const BeamCandidate& b) {
              if (a.score != b.score) return a.score > b.score;
              if (a.parent != b.parent) return a.parent < b.parent;
              return a.token < b.token;
            });
  if (static_cast<int>(all.size()) > k) all.resize(k);
  return all;
}

}  // namespace glossa::model
