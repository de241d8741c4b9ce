#include "model/kernels/compute_type.h"

#include "absl/strings/str_cat.h"

namespace glossa::model {

absl::StatusOr<ComputeType> ParseComputeType(absl::string_view name) {
  if (name == "float32" || name == "fp32" || name == "float") {
    return ComputeType::kFloat32;
  }
  if (name == "bfloat16" || name == "bf16") return ComputeType::kBFloat16;
  if (name == "int8") return ComputeType::kInt8;
  return absl::InvalidArgumentError(absl::StrCat(
      "compute_type must be float32, bfloat16 or int8, got '", name, "'"));
}

absl::string_view ComputeTypeName(ComputeType type) {
  switch (type) {
    case ComputeType::kFloat32:
      return "float32";
    case ComputeType::kBFloat16:
      return "bfloat16";
    case ComputeType::kInt8:
      return "int8";
  }
  return "unknown";
}

absl::StatusOr<Activation> ParseActivation(absl::string_view name) {
  if (name == "swish" || name == "silu") return Activation::kSwish;
  if (name == "relu") return Activation::kRelu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" ||
      name == "gelu_fast") {
    return Activation::kGeluNew;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "activation_function must be one of swish, silu, relu, gelu, gelu_new, "
      "gelu_pytorch_tanh, gelu_fast; got '",
      name, "'"));
}

absl::string_view ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kRelu:
      return "relu";
    case Activation::kSwish:
      return "swish";
    case Activation::kGelu:
      return "gelu";
    case Activation::kGeluNew:
      return "gelu_new";
  }
  return "unknown";
}

}  // namespace glossa::model
