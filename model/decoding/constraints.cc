#include "model/decoding/constraints.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "model/decoding/logits_processing.h"

namespace glossa::model {

bool ConstraintState::AllMet() const {
  return std::all_of(met.begin(), met.end(), [](bool m) { return m; });
}

ConstraintState AdvanceConstraints(const std::vector<std::vector<int>>& phrases,
                                   const ConstraintState& state, int token) {
  ConstraintState next = state;
  if (next.phrase >= 0) {
    const std::vector<int>& phrase = phrases[next.phrase];
    if (phrase[next.position] == token) {
      ++next.position;
      ++next.met_tokens;
      if (next.position == static_cast<int>(phrase.size())) {
        next.met[next.phrase] = true;
        next.phrase = -1;
        next.position = 0;
      }
      return next;
    }
    // Abandoned: its tokens no longer count, and this token may begin
    // another phrase (or the same one again).
    next.met_tokens -= next.position;
    next.phrase = -1;
    next.position = 0;
  }
  for (size_t p = 0; p < phrases.size(); ++p) {
    if (next.met[p] || phrases[p].front() != token) continue;
    ++next.met_tokens;
    if (phrases[p].size() == 1) {
      next.met[p] = true;
    } else {
      next.phrase = static_cast<int>(p);
      next.position = 1;
    }
    break;
  }
  return next;
}

std::vector<int> ConstraintTokens(const std::vector<std::vector<int>>& phrases,
                                  const ConstraintState& state) {
  if (state.phrase >= 0) return {phrases[state.phrase][state.position]};
  std::vector<int> tokens;
  for (size_t p = 0; p < phrases.size(); ++p) {
    if (!state.met[p]) tokens.push_back(phrases[p].front());
  }
  return tokens;
}

std::vector<BankedCandidate> AllocateBeams(
    std::vector<BankedCandidate> candidates, int num_banks, int num_beams) {
  const auto better = [](const BankedCandidate& a, const BankedCandidate& b) {
    if (a.candidate.score != b.candidate.score) {
      return a.candidate.score > b.candidate.score;
    }
    if (a.candidate.parent != b.candidate.parent) {
      return a.candidate.parent < b.candidate.parent;
    }
    return a.candidate.token < b.candidate.token;
  };
  std::stable_sort(candidates.begin(), candidates.end(), better);
  std::vector<std::vector<const BankedCandidate*>> banks(num_banks);
  for (const BankedCandidate& c : candidates) {
    banks[std::clamp(c.bank, 0, num_banks - 1)].push_back(&c);
  }
  std::vector<int> slots(num_banks, num_beams / num_banks);
  for (int b = num_banks - 1, extra = num_beams % num_banks; extra > 0;
       --b, --extra) {
    ++slots[b];
  }
  // Unused slots move to the banks that have candidates left, highest
  // first: progress on the constraints is what the allocation protects.
  int spare = 0;
  for (int b = 0; b < num_banks; ++b) {
    const int have = static_cast<int>(banks[b].size());
    if (have < slots[b]) {
      spare += slots[b] - have;
      slots[b] = have;
    }
  }
  for (int b = num_banks - 1; b >= 0 && spare > 0; --b) {
    const int more =
        std::min(spare, static_cast<int>(banks[b].size()) - slots[b]);
    slots[b] += more;
    spare -= more;
  }
  std::vector<BankedCandidate> picked;
  for (int b = 0; b < num_banks; ++b) {
    for (int i = 0; i < slots[b]; ++i) picked.push_back(*banks[b][i]);
  }
  std::stable_sort(picked.begin(), picked.end(), better);
  return picked;
}

ConstrainedPicks ConstrainedContinuations(
    const std::vector<const float*>& scores,
    const std::vector<float>& beam_scores,
    const std::vector<BeamCandidate>& candidates,
    const std::vector<const ConstraintState*>& states,
    const std::vector<std::vector<int>>& phrases, int num_beams, int vocab,
    int eos_id) {
  std::vector<BankedCandidate> pool;
  absl::flat_hash_set<int64_t> seen;
  const auto offer = [&](int parent, int token, float score) {
    if (!std::isfinite(score)) return;
    if (!seen.insert(int64_t{parent} * vocab + token).second) return;
    const int bank =
        AdvanceConstraints(phrases, *states[parent], token).met_tokens;
    pool.push_back({{score, parent, token}, bank});
  };
  for (const BeamCandidate& candidate : candidates) {
    offer(candidate.parent, candidate.token, candidate.score);
  }
  for (size_t b = 0; b < scores.size(); ++b) {
    const int parent = static_cast<int>(b);
    const int best = Argmax(scores[b], vocab);
    offer(parent, best, scores[b][best] + beam_scores[b]);
    for (const int token : ConstraintTokens(phrases, *states[b])) {
      offer(parent, token, scores[b][token] + beam_scores[b]);
    }
    const int eos = eos_id;
    offer(parent, eos, scores[b][eos] + beam_scores[b]);
  }
  int total = 0;
  for (const auto& phrase : phrases) total += static_cast<int>(phrase.size());
  ConstrainedPicks picks;
  bool any_ended = false;
  for (const BankedCandidate& picked :
       AllocateBeams(pool, total + 1, num_beams)) {
    if (picked.candidate.token == eos_id) {
      picks.ended.push_back(picked.candidate);
      any_ended = true;
    } else {
      picks.next.push_back(picked.candidate);
    }
  }
  if (!any_ended) return picks;
  pool.erase(std::remove_if(pool.begin(), pool.end(),
                            [&](const BankedCandidate& c) {
                              return c.candidate.token == eos_id;
                            }),
             pool.end());
  picks.next.clear();
  for (const BankedCandidate& picked :
       AllocateBeams(std::move(pool), total + 1, num_beams)) {
    picks.next.push_back(picked.candidate);
  }
  return picks;
}

}  // namespace glossa::model
