#ifndef GLOSSA_MODEL_IO_TENSOR_SOURCE_H_
#define GLOSSA_MODEL_IO_TENSOR_SOURCE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace glossa::model {

// Any tensor by its checkpoint name, as float32 of the expected shape:
// NotFound when the checkpoint lacks it, InvalidArgument naming the tensor
// and the file when it has another shape. A safetensors file, random
// weights for benchmarks and tests all look like this to the loader.
using TensorSource = std::function<absl::StatusOr<std::vector<float>>(
    const std::string& name, const std::vector<int64_t>& shape)>;

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_IO_TENSOR_SOURCE_H_
