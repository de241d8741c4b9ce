#ifndef GLOSSA_MODEL_MODEL_H_
#define GLOSSA_MODEL_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/config.h"

namespace glossa::model {

enum class ComputeType { kFloat32, kBFloat16, kInt8 };

absl::StatusOr<ComputeType> ParseComputeType(absl::string_view name);
absl::string_view ComputeTypeName(ComputeType type);

struct LoadOptions {
  ComputeType compute_type = ComputeType::kFloat32;
  // OpenMP threads for the backend; 0 keeps the current setting.
  int num_threads = 0;
};

// The const weights of a Marian encoder-decoder and the forward passes over
// them. Shared by every decoder through std::shared_ptr<const Model>;
// per-sequence state lives in BatchDecoder.
class Model;  // defined in model/model_impl.h

// Loads `dir` (config.json + model.safetensors). Errors name the path and
// the reason.
absl::StatusOr<std::shared_ptr<const Model>> LoadModel(
    const std::string& dir, const LoadOptions& options = {});

const ModelConfig& GetConfig(const Model& model);
ComputeType GetComputeType(const Model& model);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_MODEL_H_
