#ifndef GLOSSA_MODEL_KERNELS_COMPUTE_TYPE_H_
#define GLOSSA_MODEL_KERNELS_COMPUTE_TYPE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// The two choices a kernel is specialised on: the number format its GEMMs
// run in, and the activation fused after them.
namespace glossa::model {

enum class ComputeType { kFloat32, kBFloat16, kInt8 };

// "float32" (also "fp32", "float"), "bfloat16" ("bf16") or "int8";
// InvalidArgument naming the allowed values otherwise.
absl::StatusOr<ComputeType> ParseComputeType(absl::string_view name);
absl::string_view ComputeTypeName(ComputeType type);

enum class Activation { kRelu, kSwish, kGelu, kGeluNew };

// Hugging Face's names (ACT2FN): swish/silu, relu, gelu (erf) and the tanh
// approximations gelu_new, gelu_pytorch_tanh, gelu_fast. InvalidArgument
// listing them otherwise.
absl::StatusOr<Activation> ParseActivation(absl::string_view name);
absl::string_view ActivationName(Activation activation);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_KERNELS_COMPUTE_TYPE_H_
