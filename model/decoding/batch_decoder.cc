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
#include "model/decoding/sequence_state.h"
#include "model/kernels/ops.h"

namespace glossa::model {

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
    sequence->alignment_layer =
        EffectiveAlignmentLayer(sequence->options, config);
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
      DecoderRow& row = rows.emplace_back();
      row.token = beam.tokens.empty() ? config.decoder_start_token_id
                                      : beam.tokens.back();
      row.cache = &beam.cache;
      row.source = &sequence->source;
      if (sequence->options.return_alignments) {
        beam.attention.resize(sequence->source.length);
        row.attention = beam.attention.data();
        row.attention_layer = sequence->alignment_layer;
      }
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
    if (event.has_token || event.finished || !event.stable_tokens.empty()) {
      events.push_back(std::move(event));
    }
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

}  // namespace glossa::model
