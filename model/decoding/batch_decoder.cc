#include "model/decoding/batch_decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "model/decoding/beam_search.h"
#include "model/decoding/constraints.h"
#include "model/decoding/logits_processing.h"
#include "model/kernels/ops.h"

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

struct BatchDecoder::Sequence {
  struct Beam {
    std::vector<int> tokens;      // generated so far, no start token
    std::vector<float> logprobs;  // per token
    float sum_logprobs = 0.0f;
    DecoderCache cache;
    ConstraintState constraint;  // terminology only
  };

  uint64_t id = 0;
  DecodingOptions options;
  std::vector<int> forced;  // ForcedTokens(options)
  int max_output = 0;
  EncodedSource source;
  std::vector<Beam> beams;                   // one for greedy and sampling
  std::unique_ptr<BeamHypotheses> finished;  // beam search only
  // Terminology: hypotheses the length limit ended short of a term, only
  // returned when none holds every term.
  std::unique_ptr<BeamHypotheses> unmet;
  std::mt19937_64 rng;
  int generated = 0;  // tokens generated per beam so far
  bool done = false;  // finished this step; leaves the batch after it
  // Caches set aside for the first beam-search step, which turns one beam
  // into num_beams.
  std::vector<DecoderCache> spare_caches;

  bool is_beam() const { return options.beam_size > 1; }
  bool constrained() const { return !options.constraints.empty(); }
};

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model)
    : model_(std::move(model)) {}
BatchDecoder::~BatchDecoder() = default;

int BatchDecoder::num_sequences() const {
  return static_cast<int>(sequences_.size());
}

int BatchDecoder::num_rows() const {
  int rows = 0;
  for (const auto& sequence : sequences_) {
    rows += static_cast<int>(sequence->beams.size());
  }
  return rows;
}

absl::StatusOr<std::vector<uint64_t>> BatchDecoder::Add(
    std::vector<NewSequence> batch) {
  const ModelConfig& config = model_->config();
  std::vector<const std::vector<int>*> sources;
  for (const NewSequence& item : batch) sources.push_back(&item.source_ids);
  ASSIGN_OR_RETURN(std::vector<EncodedSource> encoded, model_->Encode(sources));
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto sequence = std::make_unique<Sequence>();
    sequence->id = next_id_++;
    sequence->options = batch[i].options;
    sequence->forced = ForcedTokens(sequence->options);
    sequence->max_output =
        std::min(EffectiveMaxOutputTokens(batch[i].options, config),
                 config.max_position_embeddings);
    sequence->source = std::move(encoded[i]);
    sequence->rng.seed(batch[i].options.seed);
    // Beam search starts from one beam: the other num_beams-1 initial beams
    // of Hugging Face's formulation score -1e9 and are never chosen.
    sequence->beams.resize(1);
    sequence->beams[0].constraint = ConstraintState::Start(
        static_cast<int>(sequence->options.constraints.size()));
    // Room for a typical output; a longer one grows the cache by doubling
    // (one copy per doubling). Reserving the whole output limit up front
    // made every pooled cache as large as the longest possible output, and
    // memory grew with each new peak of concurrent sequences.
    const int positions = std::min(sequence->max_output, kInitialPositions);
    sequence->beams[0].cache = TakeCache(positions);
    for (int b = 1; b < sequence->options.beam_size; ++b) {
      sequence->spare_caches.push_back(TakeCache(positions));
    }
    if (sequence->is_beam()) {
      sequence->finished = std::make_unique<BeamHypotheses>(
          sequence->options.beam_size, sequence->options.length_penalty);
      sequence->unmet = std::make_unique<BeamHypotheses>(
          sequence->options.beam_size, sequence->options.length_penalty);
    }
    ids.push_back(sequence->id);
    sequences_.push_back(std::move(sequence));
  }
  return ids;
}

DecoderCache BatchDecoder::TakeCache(int positions) {
  const ModelConfig& config = model_->config();
  DecoderCache cache;
  if (!cache_pool_.empty()) {
    cache = std::move(cache_pool_.back());
    cache_pool_.pop_back();
    pooled_bytes_ -= cache.bytes();
  }
  cache.length = 0;
  cache.Reserve(positions, config.decoder_layers,
                config.AttentionDim(config.decoder_attention_heads));
  return cache;
}

void BatchDecoder::Retire(Sequence& sequence) {
  // Bounded by bytes, not a leak: enough to start a full batch again
  // without allocating, while a burst of long outputs is given back.
  auto keep = [this](DecoderCache& cache) {
    const size_t bytes = cache.bytes();
    if (pooled_bytes_ + bytes > kMaxPooledBytes) return;
    pooled_bytes_ += bytes;
    cache_pool_.push_back(std::move(cache));
  };
  for (auto& beam : sequence.beams) keep(beam.cache);
  for (auto& cache : sequence.spare_caches) keep(cache);
  sequence.beams.clear();
  sequence.spare_caches.clear();
}

void BatchDecoder::Remove(uint64_t sequence_id) {
  for (auto& sequence : sequences_) {
    if (sequence->id == sequence_id) Retire(*sequence);
  }
  sequences_.erase(
      std::remove_if(sequences_.begin(), sequences_.end(),
                     [&](const std::unique_ptr<Sequence>& sequence) {
                       return sequence->id == sequence_id;
                     }),
      sequences_.end());
}

absl::StatusOr<std::vector<SequenceEvent>> BatchDecoder::Step() {
  const ModelConfig& config = model_->config();
  const int vocab = config.vocab_size;
  std::vector<DecoderRow> rows;
  for (auto& sequence : sequences_) {
    for (auto& beam : sequence->beams) {
      rows.push_back({beam.tokens.empty() ? config.decoder_start_token_id
                                          : beam.tokens.back(),
                      &beam.cache, &sequence->source});
    }
  }
  const size_t logits_size = rows.size() * static_cast<size_t>(vocab);
  if (logits_.size() < logits_size) logits_.resize(logits_size);
  RETURN_IF_ERROR(model_->DecodeStep(rows, logits_.data()));

  // Sequences are independent from here on: score them in parallel.
  const int count = static_cast<int>(sequences_.size());
  std::vector<size_t> first_row(count);
  size_t row = 0;
  for (int i = 0; i < count; ++i) {
    first_row[i] = row;
    row += sequences_[i]->beams.size();
  }
  std::vector<SequenceEvent> step_events(count);
#pragma omp parallel for schedule(dynamic) if (rows.size() >= 8)
  for (int i = 0; i < count; ++i) {
    Sequence& sequence = *sequences_[i];
    SequenceEvent& event = step_events[i];
    event.sequence_id = sequence.id;
    float* logits = &logits_[first_row[i] * vocab];
    if (sequence.is_beam()) {
      StepBeam(config, logits, sequence, event);
    } else {
      StepSingle(config, logits, sequence, event);
    }
  }
  for (auto& sequence : sequences_) {
    if (sequence->done) Retire(*sequence);
  }
  std::vector<SequenceEvent> events;
  for (SequenceEvent& event : step_events) {
    if (event.has_token || event.finished) events.push_back(std::move(event));
  }
  sequences_.erase(
      std::remove_if(sequences_.begin(), sequences_.end(),
                     [&](const std::unique_ptr<Sequence>& sequence) {
                       return sequence->done;
                     }),
      sequences_.end());
  return events;
}

void BatchDecoder::Fail(Sequence& sequence, SequenceEvent& event) {
  event.finished = true;
  event.failed = true;
  sequence.done = true;
}

void BatchDecoder::StepSingle(const ModelConfig& config, float* logits,
                              Sequence& sequence, SequenceEvent& event) {
  const int vocab = config.vocab_size;
  auto& beam = sequence.beams.front();
  // The log-probability of the chosen token is taken under the model's own
  // distribution; the rules below only restrict the choice.
  const float log_z = LogSumExp(logits, vocab);
  if (!std::isfinite(log_z)) return Fail(sequence, event);
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
    beam.sum_logprobs += logprob;
    beam.tokens.push_back(token);
    beam.logprobs.push_back(logprob);
    event.has_token = true;
    event.token_id = token;
    event.logprob = logprob;
    if (!at_limit) return;
    // Out of room without a forced EOS (forced_eos_token_id: null).
    event.finished = true;
    event.finish_reason = FinishReason::kLength;
    event.hypotheses.push_back({beam.tokens, beam.sum_logprobs,
                                /*ended_with_eos=*/false, beam.logprobs});
    sequence.done = true;
    return;
  }
  beam.sum_logprobs += eos_logit - log_z;
  event.finished = true;
  event.finish_reason =
      !at_limit || model_chose_eos ? FinishReason::kEos : FinishReason::kLength;
  event.hypotheses.push_back({std::move(beam.tokens), beam.sum_logprobs,
                              /*ended_with_eos=*/true,
                              std::move(beam.logprobs)});
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
          .Add(parent.tokens, candidate.score, current_length,
               /*eos=*/true, parent.logprobs);
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
      sequence.finished->Add(parent.tokens, candidate.score, current_length,
                             /*eos=*/true, parent.logprobs);
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
      std::vector<int> tokens = parent.tokens;
      tokens.push_back(candidate.token);
      std::vector<float> logprobs = parent.logprobs;
      logprobs.push_back(candidate.score - parent.sum_logprobs);
      pool.Add(std::move(tokens), candidate.score, sequence.generated,
               /*eos=*/false, std::move(logprobs));
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
      beams[i].constraint = parent.constraint;
      beams[i].sum_logprobs = parent.sum_logprobs;
      beams[i].cache.CopyFrom(
          parent.cache, config.decoder_layers,
          config.AttentionDim(config.decoder_attention_heads));
    }
    beams[i].tokens.push_back(candidate.token);
    beams[i].logprobs.push_back(candidate.score - beams[i].sum_logprobs);
    beams[i].sum_logprobs = candidate.score;
    if (sequence.constrained()) {
      beams[i].constraint = AdvanceConstraints(
          sequence.options.constraints, beams[i].constraint, candidate.token);
    }
  }
  sequence.beams = std::move(beams);
}

}  // namespace glossa::model
