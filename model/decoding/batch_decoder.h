#ifndef GLOSSA_MODEL_DECODING_BATCH_DECODER_H_
#define GLOSSA_MODEL_DECODING_BATCH_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "model/decoding/decoding_options.h"
#include "model/decoding/hypothesis.h"
#include "model/transformer/model.h"

namespace glossa::model {

// What happened to one sequence during a Step().
struct SequenceEvent {
  uint64_t sequence_id = 0;
  // Greedy and sampled sequences stream: the token chosen this step (never
  // EOS) and its log-probability. Beam sequences report stable_tokens below
  // instead; has_token is false for them.
  bool has_token = false;
  int token_id = -1;
  float logprob = 0.0f;
  // Beam search: the tokens that became final this step, because every
  // live beam and every finished hypothesis now starts with them (the
  // result will too), with the scores the search gave them. The rest of
  // the result comes with `hypotheses` when the search ends.
  std::vector<int> stable_tokens;
  std::vector<float> stable_logprobs;
  // Set when the sequence finished this step; it has left the batch.
  bool finished = false;
  // Set (with `finished`) when the model's scores for the sequence were
  // not finite (NaN or infinity: broken weights or an overflow). It has no
  // hypotheses; its request must fail, never return text.
  bool failed = false;
  FinishReason finish_reason = FinishReason::kEos;
  std::vector<Hypothesis> hypotheses;  // best first, when finished
};

struct NewSequence {
  std::vector<int> source_ids;  // tokenized, ending with EOS
  DecodingOptions options;      // validated by the caller
};

// Decodes a changing set of sequences together, one decoder step for all of
// them per Step(). Sequences may be added and removed between steps; each
// sequence's result does not depend on which others share its batch.
//
// Owns all per-sequence state (encoder output, cross-attention K/V, KV cache,
// beams, random generators); the Model it decodes with stays const and may
// be shared by other BatchDecoders. Not thread-safe: one thread drives it.
class BatchDecoder {
 public:
  explicit BatchDecoder(std::shared_ptr<const Model> model);
  ~BatchDecoder();
  BatchDecoder(const BatchDecoder&) = delete;
  BatchDecoder& operator=(const BatchDecoder&) = delete;

  // Encodes all new sequences as one batch and adds them. Returns their ids
  // in order. Options must already be validated (ValidateDecodingOptions).
  absl::StatusOr<std::vector<uint64_t>> Add(std::vector<NewSequence> batch);

  // Advances every active sequence by one token. Returns one event per
  // sequence that produced a token or finished.
  absl::StatusOr<std::vector<SequenceEvent>> Step();

  // Drops a sequence (cancelled or expired); unknown ids are ignored.
  void Remove(uint64_t sequence_id);

  int num_sequences() const;
  // Positions a new sequence's cache starts with (most outputs are shorter).
  static constexpr int kInitialPositions = 64;
  // Most bytes of idle caches kept for reuse.
  static constexpr size_t kMaxPooledBytes = size_t{64} << 20;
  // Bytes of finished sequences' caches kept for reuse (<= kMaxPooledBytes).
  size_t idle_cache_bytes() const { return pooled_bytes_; }
  // Decoder rows in the next Step(): one per greedy/sampled sequence, one
  // per live beam for beam search.
  int num_rows() const;

 private:
  struct Sequence;
  static void StepSingle(const ModelConfig& config, float* logits,
                         Sequence& sequence, SequenceEvent& event);
  static void StepBeam(const ModelConfig& config, float* logits,
                       Sequence& sequence, SequenceEvent& event);
  static void Fail(Sequence& sequence, SequenceEvent& event);
  // Caches are recycled between sequences: fresh buffers would be
  // zero-filled by the kernel page by page.
  DecoderCache TakeCache(int positions);
  void Retire(Sequence& sequence);

  std::shared_ptr<const Model> model_;
  uint64_t next_id_ = 1;
  std::vector<std::unique_ptr<Sequence>> sequences_;
  std::vector<float> logits_;  // [rows, vocab], reused across steps
  std::vector<DecoderCache> cache_pool_;
  size_t pooled_bytes_ = 0;  // sum of cache_pool_'s bytes()
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_DECODING_BATCH_DECODER_H_
