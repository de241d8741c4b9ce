#include "model/transformer/positions.h"

#include "absl/strings/str_cat.h"
#include "model/kernels/ops.h"

namespace glossa::model {

absl::StatusOr<std::vector<float>> BuildPositionTable(
    const ModelConfig& config, const CheckpointLayout& layout,
    const TensorSource& tensors) {
  switch (config.architecture.positions) {
    case PositionEncoding::kSinusoidal:
      if (config.d_model % 2 != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("d_model must be even for sinusoidal positions, got ",
                         config.d_model));
      }
      return SinusoidalPositionTable(config.max_position_embeddings,
                                     config.d_model);
  }
  return absl::InternalError("unknown position encoding");
}

}  // namespace glossa::model
