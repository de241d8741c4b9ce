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
struct PositionTables {
  std::vector<float> encoder;
  std::vector<float> decoder;  // empty: the encoder's table
  const std::vector<float>& Decoder() const {
    return decoder.empty() ? encoder : decoder;
  }
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

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSFORMER_POSITIONS_H_
