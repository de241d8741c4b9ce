#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/decoding/batch_decoder.h"
#include "model/decoding/sequence_state.h"
#include "model/kernels/ops.h"

// How each step's token is chosen: greedy and sampling (StepSingle), beam
// search with or without terminology (StepBeam).
namespace glossa::model {
namespace {

// The decoder sequence the repetition rules look at: the start token, then
// what was generated (Hugging Face's input_ids).
std::vector<int> DecoderHistory(const ModelConfig& config,
                                const std::vector<int>& tokens) {
  std::vector<int> history;
  history.reserve(tokens.size() + 1);
  history.push_back(config.decoder_start_token_id);
  history.insert(history.end(), tokens.begin(), tokens.end());
  return history;
}

}  // namespace

using decoding_internal::AttendedPosition;
using decoding_internal::HypothesisOf;

void BatchDecoder::StepSingle(const ModelConfig& config, float* logits,
                              Sequence& sequence, SequenceEvent& event) {
  const int vocab = config.vocab_size;
  auto& beam = sequence.beams.front();
  // The log-probability of the chosen token is taken under the model's own
  // distribution; the rules below only restrict the choice.
  const float log_z = LogSumExp(logits, vocab);
  if (!std::isfinite(log_z)) return Fail(sequence, event);
  // The step's most likely tokens, read before any rule changes the row.
  std::vector<std::pair<int, float>> alternatives;
  if (sequence.options.token_alternatives > 0) {
    for (const auto& [logit, id] :
         TopK(logits, vocab, sequence.options.token_alternatives)) {
      alternatives.emplace_back(id, logit - log_z);
    }
  }
  const bool at_limit = sequence.generated + 1 >= sequence.max_output;
  // At the limit EOS is usually forced; it only counts as the model's own
  // choice if the model ranked it first anyway.
  const bool model_chose_eos =
      at_limit && Argmax(logits, vocab) == config.eos_token_id;
  const float eos_logit = logits[config.eos_token_id];
  // A forced prefix token is reported with the model's own probability too.
  const std::vector<int>& prefix = sequence.forced;
  const bool prefix_step = sequence.generated < static_cast<int>(prefix.size());
  const float prefix_logit =
      prefix_step ? logits[prefix[sequence.generated]] : 0.0f;
  // The penalties change the choice, not the reported probability: keep
  // the raw logits of the tokens they may touch.
  std::vector<int> history;
  std::vector<float> history_logits;
  if (HasRepetitionRules(sequence.options)) {
    history = DecoderHistory(config, beam.tokens);
    for (const int id : history) history_logits.push_back(logits[id]);
    ApplyRepetitionRules(sequence.options, history, 0.0f, logits);
  }
  ApplyGenerationRules(config, sequence.generated,
                       sequence.options.min_output_tokens, sequence.max_output,
                       sequence.forced, logits);
  int token;
  float logit;
  if (sequence.options.sampling) {
    // Sampling rescales its copy (temperature); the logit stays raw.
    std::vector<float> warped(logits, logits + vocab);
    token = SampleToken(warped.data(), vocab, sequence.options, sequence.rng);
    logit = logits[token];
  } else {
    token = Argmax(logits, vocab);
    logit = logits[token];
  }
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i] == token) logit = history_logits[i];
  }
  if (prefix_step && token == prefix[sequence.generated]) logit = prefix_logit;
  ++sequence.generated;
  if (token != config.eos_token_id) {
    const float logprob = logit - log_z;
    // A target-prefix token is not chosen: it adds nothing to the score, as
    // in beam search, so that both score what the model wrote after it. (A
    // forced language token counts, as in the reference's greedy scores.)
    const bool target_prefix_step =
        prefix_step &&
        sequence.generated >
            static_cast<int>(sequence.options.forced_prefix.size());
    if (!target_prefix_step) beam.sum_logprobs += logprob;
    beam.tokens.push_back(token);
    beam.logprobs.push_back(logprob);
    if (sequence.options.token_alternatives > 0) {
      beam.alternatives.push_back(std::move(alternatives));
    }
    if (sequence.options.return_alignments) {
      beam.alignments.push_back(AttendedPosition(beam));
    }
    event.has_token = true;
    event.token_id = token;
    event.logprob = logprob;
    if (!at_limit) return;
    // Out of room without a forced EOS (forced_eos_token_id: null).
    event.finished = true;
    event.finish_reason = FinishReason::kLength;
    event.hypotheses.push_back(HypothesisOf(beam, beam.sum_logprobs,
                                            /*ended_with_eos=*/false));
    sequence.done = true;
    return;
  }
  beam.sum_logprobs += eos_logit - log_z;
  event.finished = true;
  event.finish_reason =
      !at_limit || model_chose_eos ? FinishReason::kEos : FinishReason::kLength;
  event.hypotheses.push_back(
      HypothesisOf(beam, beam.sum_logprobs, /*ended_with_eos=*/true));
  sequence.done = true;
}

void BatchDecoder::StepBeam(const ModelConfig& config, float* logits,
                            Sequence& sequence, SequenceEvent& event) {
  const int vocab = config.vocab_size;
  const int num_beams = sequence.options.beam_size;
  // A forced token (EOS at the limit, or the forced prefix) scores 0 in
  // log space, so the rules are applied after the shift below.
  const bool forced = IsForcedStep(config, sequence.generated,
                                   sequence.max_output, sequence.forced);
  // Terminology: no hypothesis ends before it holds every phrase, unless
  // the length limit ends it.
  const bool last_step = sequence.generated + 1 >= sequence.max_output;
  std::vector<const float*> scores;
  std::vector<float> beam_scores;
  for (size_t b = 0; b < sequence.beams.size(); ++b) {
    // log_softmax(x)[i] = x[i] - logsumexp(x): rank raw logits and shift
    // the few candidates, instead of rewriting the whole row. The forced
    // EOS rule sets EOS to 0 in log space, so it is applied after.
    float* row = logits + b * vocab;
    const float row_log_z = LogSumExp(row, vocab);
    if (!std::isfinite(row_log_z)) return Fail(sequence, event);
    const float log_z = forced ? 0.0f : row_log_z;
    if (HasRepetitionRules(sequence.options)) {
      ApplyRepetitionRules(sequence.options,
                           DecoderHistory(config, sequence.beams[b].tokens),
                           row_log_z, row);
    }
    ApplyGenerationRules(config, sequence.generated,
                         sequence.options.min_output_tokens,
                         sequence.max_output, sequence.forced, row);
    if (sequence.constrained() && !last_step &&
        !sequence.beams[b].constraint.AllMet()) {
      row[config.eos_token_id] = -std::numeric_limits<float>::infinity();
    }
    scores.push_back(row);
    beam_scores.push_back(sequence.beams[b].sum_logprobs - log_z);
  }
  const std::vector<BeamCandidate> candidates =
      SelectBeamCandidates(scores, beam_scores, vocab, num_beams);
  // Hugging Face's cur_len: decoder start token + tokens generated so far.
  const int current_length = 1 + sequence.generated;
  // Each beam's attended source position this step, read before the beams
  // are reordered.
  std::vector<int> attended;
  if (sequence.options.return_alignments) {
    for (const auto& beam : sequence.beams) {
      attended.push_back(AttendedPosition(beam));
    }
  }
  std::vector<BeamCandidate> next;
  // What "the best running candidate" is for the end-of-search test.
  float best_running = candidates.front().score;
  if (sequence.constrained()) {
    std::vector<const ConstraintState*> states;
    for (const auto& beam : sequence.beams) states.push_back(&beam.constraint);
    ConstrainedPicks picks = ConstrainedContinuations(
        scores, beam_scores, candidates, states, sequence.options.constraints,
        num_beams, vocab, config.eos_token_id);
    for (const BeamCandidate& candidate : picks.ended) {
      const Sequence::Beam& parent = sequence.beams[candidate.parent];
      (parent.constraint.AllMet() ? *sequence.finished : *sequence.unmet)
          .Add(HypothesisOf(parent, 0.0f, /*ended_with_eos=*/true),
               candidate.score, current_length);
    }
    next = std::move(picks.next);
    best_running = next.empty() ? -std::numeric_limits<float>::infinity()
                                : next.front().score;
  }
  for (size_t rank = 0; rank < candidates.size() && !sequence.constrained();
       ++rank) {
    const BeamCandidate& candidate = candidates[rank];
    if (candidate.token == config.eos_token_id) {
      // EOS only ends a hypothesis from within the top num_beams. A banned
      // one (-inf, at a forced step) never does: Hugging Face's first step
      // keeps num_beams - 1 dummy beams at -1e9 whose forced tokens rank
      // above it, and an -inf hypothesis would fill the finished list
      // (and, with early_stopping, end the search).
      if (static_cast<int>(rank) >= num_beams || std::isinf(candidate.score)) {
        continue;
      }
      const Sequence::Beam& parent = sequence.beams[candidate.parent];
      sequence.finished->Add(
          HypothesisOf(parent, 0.0f, /*ended_with_eos=*/true), candidate.score,
          current_length);
    } else {
      next.push_back(candidate);
    }
    if (static_cast<int>(next.size()) == num_beams) break;
  }
  bool done =
      next.empty() ||
      (sequence.constrained()
           ? sequence.finished->IsDoneFor(sequence.options.num_hypotheses,
                                          best_running, current_length,
                                          sequence.options.early_stopping)
           : sequence.finished->IsDone(best_running, current_length,
                                       sequence.options.early_stopping));
  ++sequence.generated;
  const bool at_limit = sequence.generated >= sequence.max_output;
  if (!done && at_limit) {
    // Out of room: the open beams join the finished ones, as Hugging Face's
    // finalize() does, normalised by their generated length.
    for (const BeamCandidate& candidate : next) {
      const Sequence::Beam& parent = sequence.beams[candidate.parent];
      // Under terminology, beams short of a term go to the fallback pool.
      BeamHypotheses& pool =
          sequence.constrained() &&
                  !AdvanceConstraints(sequence.options.constraints,
                                      parent.constraint, candidate.token)
                       .AllMet()
              ? *sequence.unmet
              : *sequence.finished;
      Hypothesis hypothesis =
          HypothesisOf(parent, 0.0f, /*ended_with_eos=*/false);
      hypothesis.token_ids.push_back(candidate.token);
      hypothesis.token_logprobs.push_back(candidate.score -
                                          parent.sum_logprobs);
      if (sequence.options.return_alignments) {
        hypothesis.alignments.push_back(attended[candidate.parent]);
      }
      pool.Add(std::move(hypothesis), candidate.score, sequence.generated);
    }
  }
  if (done || at_limit) {
    event.finished = true;
    event.finish_reason = done ? FinishReason::kEos : FinishReason::kLength;
    const BeamHypotheses& pool =
        sequence.constrained() && sequence.finished->size() == 0
            ? *sequence.unmet
            : *sequence.finished;
    event.hypotheses = pool.Best(sequence.options.num_hypotheses);
    sequence.done = true;
    return;
  }

  // Reorder: each new beam continues its parent's cache. A parent's last
  // child takes the cache over; earlier children copy it into the storage
  // of a beam that has no children (there is exactly one such beam per
  // copy), so that steady-state steps allocate nothing.
  std::vector<int> children(sequence.beams.size(), 0);
  for (const BeamCandidate& candidate : next) ++children[candidate.parent];
  std::vector<Sequence::Beam*> recycled;
  for (size_t b = 0; b < sequence.beams.size(); ++b) {
    if (children[b] == 0) recycled.push_back(&sequence.beams[b]);
  }
  std::vector<Sequence::Beam> beams(next.size());
  for (size_t i = 0; i < next.size(); ++i) {
    const BeamCandidate& candidate = next[i];
    Sequence::Beam& parent = sequence.beams[candidate.parent];
    if (--children[candidate.parent] == 0) {
      beams[i] = std::move(parent);
    } else {
      if (!recycled.empty()) {
        beams[i] = std::move(*recycled.back());
        recycled.pop_back();
      } else if (!sequence.spare_caches.empty()) {
        beams[i].cache = std::move(sequence.spare_caches.back());
        sequence.spare_caches.pop_back();
      }
      beams[i].tokens.assign(parent.tokens.begin(), parent.tokens.end());
      beams[i].logprobs.assign(parent.logprobs.begin(), parent.logprobs.end());
      beams[i].alignments.assign(parent.alignments.begin(),
                                 parent.alignments.end());
      beams[i].constraint = parent.constraint;
      beams[i].sum_logprobs = parent.sum_logprobs;
      beams[i].cache.CopyFrom(
          parent.cache, config.decoder_layers,
          config.AttentionDim(config.decoder_attention_heads));
    }
    beams[i].tokens.push_back(candidate.token);
    beams[i].logprobs.push_back(candidate.score - beams[i].sum_logprobs);
    if (sequence.options.return_alignments) {
      beams[i].alignments.push_back(attended[candidate.parent]);
    }
    beams[i].sum_logprobs = candidate.score;
    if (sequence.constrained()) {
      beams[i].constraint = AdvanceConstraints(
          sequence.options.constraints, beams[i].constraint, candidate.token);
    }
  }
  sequence.beams = std::move(beams);

  // What can no longer change: the prefix every live beam and every kept
  // hypothesis (the result is one of them, or a descendant of a live beam)
  // shares.
  const std::vector<int>& first = sequence.beams.front().tokens;
  int common = static_cast<int>(first.size());
  for (const auto& beam : sequence.beams) {
    int i = 0;
    while (i < common && i < static_cast<int>(beam.tokens.size()) &&
           beam.tokens[i] == first[i]) {
      ++i;
    }
    common = i;
  }
  common = sequence.finished->CommonPrefix(first, common);
  if (sequence.unmet != nullptr) {
    common = sequence.unmet->CommonPrefix(first, common);
  }
  for (; sequence.stable < common; ++sequence.stable) {
    event.stable_tokens.push_back(first[sequence.stable]);
    event.stable_logprobs.push_back(
        sequence.beams.front().logprobs[sequence.stable]);
  }
}

}  // namespace glossa::model
