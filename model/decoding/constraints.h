#ifndef GLOSSA_MODEL_DECODING_CONSTRAINTS_H_
#define GLOSSA_MODEL_DECODING_CONSTRAINTS_H_

#include <vector>

#include "model/decoding/beam_search.h"

// Hard lexical constraints in beam search (terminology), after Post & Vilar
// 2018, "Fast Lexically Constrained Decoding with Dynamic Beam Allocation":
// every hypothesis tracks which phrases it has produced; each step also
// offers, for every beam, the tokens that would advance a phrase, and the
// beam is shared out among banks of candidates that have met the same
// number of constraint tokens, so that hypotheses which have placed a term
// are not crowded out by better-scoring ones which have not.
namespace glossa::model {

// Where one hypothesis stands. Phrases are met in any order; a phrase
// begun is either continued token by token or abandoned (its progress is
// lost, as in the paper).
struct ConstraintState {
  std::vector<bool> met;  // per phrase
  int phrase = -1;        // the phrase in progress, or -1
  int position = 0;       // tokens of it produced so far
  int met_tokens = 0;     // tokens of met phrases plus `position`

  static ConstraintState Start(int phrases) {
    ConstraintState state;
    state.met.assign(phrases, false);
    return state;
  }
  bool AllMet() const;
};

// The state after `token`.
ConstraintState AdvanceConstraints(const std::vector<std::vector<int>>& phrases,
                                   const ConstraintState& state, int token);

// The tokens that would advance a phrase from `state`: the next token of
// the phrase in progress, or the first token of every unmet phrase.
std::vector<int> ConstraintTokens(const std::vector<std::vector<int>>& phrases,
                                  const ConstraintState& state);

// A continuation with the bank it falls in (constraint tokens met after it).
struct BankedCandidate {
  BeamCandidate candidate;
  int bank = 0;
};

// Dynamic beam allocation: picks `num_beams` of `candidates` (any order).
// Every bank 0..num_banks-1 gets num_beams / num_banks slots, the highest
// banks one more for the remainder; slots a bank cannot fill go to the
// other banks, the highest first. Returns the picks best score first.
std::vector<BankedCandidate> AllocateBeams(
    std::vector<BankedCandidate> candidates, int num_banks, int num_beams);

// The step's picks under terminology constraints.
struct ConstrainedPicks {
  std::vector<BeamCandidate> ended;  // end-of-sentence: finished hypotheses
  std::vector<BeamCandidate> next;   // the beams of the next step
};

// The best overall candidates, plus each beam's best token, its end of
// sentence once all phrases are met, and every token that advances one of
// its phrases, shared out by AllocateBeams over banks of equal progress (0
// to all constraint tokens met). As without constraints, an end of sentence
// only finishes a hypothesis when it is among the num_beams picks (here:
// within its bank's share, not the global ranking, where hypotheses still
// short of a term would crowd it out); the running beams are then picked
// again from the rest. `scores` and `beam_scores` as SelectBeamCandidates
// takes them, `candidates` what it returned, `states` one per beam.
ConstrainedPicks ConstrainedContinuations(
    const std::vector<const float*>& scores,
    const std::vector<float>& beam_scores,
    const std::vector<BeamCandidate>& candidates,
    const std::vector<const ConstraintState*>& states,
    const std::vector<std::vector<int>>& phrases, int num_beams, int vocab,
    int eos_id);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_DECODING_CONSTRAINTS_H_
