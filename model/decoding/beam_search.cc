#include "model/decoding/beam_search.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "model/decoding/logits_processing.h"

namespace glossa::model {

void BeamHypotheses::Add(Hypothesis hypothesis, double sum_logprobs,
                         int length) {
  const double score =
      sum_logprobs / std::pow(static_cast<double>(length), length_penalty_);
  if (size() >= num_beams_ && score <= worst_score_) return;
  hypothesis.score = static_cast<float>(score);
  hypotheses_.push_back({score, std::move(hypothesis)});
  const auto by_score = [](const auto& a, const auto& b) {
    return a.score < b.score;
  };
  if (size() > num_beams_) {
    // The earliest inserted among equal scores goes, as sorted() would pick.
    hypotheses_.erase(
        std::min_element(hypotheses_.begin(), hypotheses_.end(), by_score));
    worst_score_ =
        std::min_element(hypotheses_.begin(), hypotheses_.end(), by_score)
            ->score;
  } else {
    worst_score_ = std::min(score, worst_score_);
  }
}

bool BeamHypotheses::IsDone(double best_running_sum_logprobs,
                            int current_length, bool early_stopping) const {
  if (size() < num_beams_) return false;
  if (early_stopping) return true;
  const double best_attainable =
      best_running_sum_logprobs /
      std::pow(static_cast<double>(current_length), length_penalty_);
  return worst_score_ >= best_attainable;
}

bool BeamHypotheses::IsDoneFor(int count, double best_running_sum_logprobs,
                               int current_length, bool early_stopping) const {
  if (count >= num_beams_) {
    return IsDone(best_running_sum_logprobs, current_length, early_stopping);
  }
  if (size() < count) return false;
  if (early_stopping) return true;
  std::vector<double> scores;
  for (const Finished& h : hypotheses_) scores.push_back(h.score);
  std::nth_element(scores.begin(), scores.begin() + (count - 1), scores.end(),
                   std::greater<double>());
  const double best_attainable =
      best_running_sum_logprobs /
      std::pow(static_cast<double>(current_length), length_penalty_);
  return scores[count - 1] >= best_attainable;
}

int BeamHypotheses::CommonPrefix(const std::vector<int>& tokens,
                                 int at_most) const {
  int common = std::min(at_most, static_cast<int>(tokens.size()));
  for (const Finished& kept : hypotheses_) {
    const std::vector<int>& other = kept.hypothesis.token_ids;
    common = std::min(common, static_cast<int>(other.size()));
    int i = 0;
    while (i < common && other[i] == tokens[i]) ++i;
    common = i;
  }
  return common;
}

std::vector<Hypothesis> BeamHypotheses::Best(int count) const {
  std::vector<Finished> sorted = hypotheses_;
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const auto& a, const auto& b) { return a.score > b.score; });
  std::vector<Hypothesis> best;
  for (int i = 0; i < count && i < static_cast<int>(sorted.size()); ++i) {
    best.push_back(std::move(sorted[i].hypothesis));
  }
  return best;
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
