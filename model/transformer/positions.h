#ifndef GLOSSA_MODEL_TRANSFORMER_POSITIONS_H_
#define GLOSSA_MODEL_TRANSFORMER_POSITIONS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "model/io/config.h"
#include "model/io/tensor_source.h"
#include "model/transformer/checkpoint_layout.h"

namespace glossa::model {

// Tables [max_position_embeddings, d_model] whose row t is added to the
// embedding of the t-th token (0-based) of a source or of the decoder's
// sequence: every family's offset is already applied, so the forward pass
// reads row t whatever the encoding.
// PositionEncoding::kRelativeBuckets leaves both empty and fills the
// relative biases instead: per head, the bias of every key - query offset
// a sequence of max_position_embeddings tokens can hold, already mapped
// through the buckets (RelativeBias in kernels/ops.h reads them).
struct PositionTables {
  std::vector<float> encoder;
  std::vector<float> decoder;  // empty: the encoder's table
  const std::vector<float>& Decoder() const {
    return decoder.empty() ? encoder : decoder;
  }
  // [heads][2 * span - 1]: offsets -(span - 1) .. span - 1.
  std::vector<float> encoder_relative;
  // [heads][span]: offsets -(span - 1) .. 0 (keys up to the query).
  std::vector<float> decoder_relative;
  int span = 0;
};

// Fixed encodings are computed; learned ones are read from `tensors` by
// the layout's names. InvalidArgument when the config cannot carry the
// encoding (odd d_model for Marian's sinusoids).
absl::StatusOr<PositionTables> BuildPositionTables(
    const ModelConfig& config, const CheckpointLayout& layout,
    const TensorSource& tensors);

// fairseq's sinusoids (M2M100 / NLLB) for positions [first, first + count):
// sin over the first half of the dimensions and cos over the second, with
// frequencies exp(-j * ln(10000) / (half - 1)), in float32 as fairseq
// computes them; a zero last column when dim is odd.
std::vector<float> FairseqSinusoidalTable(int first, int count, int dim);

// T5's bucket of a relative position (key - query): exact for small
// offsets, logarithmic up to max_distance, the last bucket beyond it;
// bidirectional (encoder) halves the buckets between the two directions,
// causal (decoder) maps every later key to bucket 0. Computed in float32
// as transformers computes it, so that boundary offsets (16, 32, 64 with
// the usual 32 buckets and 128) fall in the same bucket.
int RelativePositionBucket(int relative_position, bool bidirectional,
                           int num_buckets, int max_distance);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSFORMER_POSITIONS_H_
