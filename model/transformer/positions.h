#ifndef GLOSSA_MODEL_TRANSFORMER_POSITIONS_H_
#define GLOSSA_MODEL_TRANSFORMER_POSITIONS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "model/io/config.h"
#include "model/io/tensor_source.h"
#include "model/transformer/checkpoint_layout.h"

namespace glossa::model {

// The table [max_positions, d_model] whose row t is added to the embedding
// of the token at position t, for the encoding the architecture names.
// Fixed encodings are computed; learned ones would be read from `tensors`.
// InvalidArgument when the config cannot carry the encoding (odd d_model
// for sinusoids).
absl::StatusOr<std::vector<float>> BuildPositionTable(
    const ModelConfig& config, const CheckpointLayout& layout,
    const TensorSource& tensors);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSFORMER_POSITIONS_H_
