#ifndef GLOSSA_MODEL_BACKEND_H_
#define GLOSSA_MODEL_BACKEND_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/kernels/compute_type.h"

namespace glossa::model {

// A linear layer y = act(x W^T + b) whose weights a backend has prepared
// (reordered, converted) once at load time.
class PackedLinear {
 public:
  PackedLinear(int in_features, int out_features)
      : in_features_(in_features), out_features_(out_features) {}
  virtual ~PackedLinear() = default;
  int in_features() const { return in_features_; }
  int out_features() const { return out_features_; }

 private:
  int in_features_;
  int out_features_;
};

// The seam between the Transformer and the hardware. Every GEMM of the model
// goes through here; the oneDNN implementation is the only file that
// includes dnnl.hpp, and a plain-loop implementation is its test oracle.
// Thread-safe: one Backend serves every decoder that shares the model.
class Backend {
 public:
  virtual ~Backend() = default;

  // `weight` is [out_features, in_features] row-major (the Hugging Face
  // nn.Linear layout); `bias` has out_features values or is null.
  virtual absl::StatusOr<std::unique_ptr<PackedLinear>> Pack(
      const float* weight, const float* bias, int out_features, int in_features,
      std::optional<Activation> activation) const = 0;

  // y[rows, out] = act(x[rows, in] W^T + b). Internal on backend failure.
  virtual absl::Status Linear(const PackedLinear& layer, const float* x,
                              int rows, float* y) const = 0;

  // Makes every kernel the layers packed so far can need, so that no
  // request pays for compiling one. Internal on backend failure.
  virtual absl::Status PrepareKernels() const { return absl::OkStatus(); }

  // Kernels made so far (bounded: layer shapes x row_chunks.h sizes).
  virtual size_t kernel_count() const { return 0; }
  // Of those, the ones for which the library fell back to a slow reference
  // implementation (no optimized kernel on this CPU for the shape).
  virtual size_t reference_kernel_count() const { return 0; }

  virtual std::string Describe() const = 0;
};

// Plain loops in float32 (bfloat16 is computed as float32 here), or in the
// int8 format of quantize.h.
std::unique_ptr<Backend> CreateReferenceBackend(
    ComputeType compute_type = ComputeType::kFloat32);

// oneDNN matmul primitives, shared by the layers of one shape and made for
// the row counts of row_chunks.h. `num_threads` > 0 sets the
// OpenMP thread count used by oneDNN.
absl::StatusOr<std::unique_ptr<Backend>> CreateDnnlBackend(
    ComputeType compute_type, int num_threads);

// Sets how many compute (OpenMP) threads the calling thread's model work
// uses from now on, for every backend: a server that shares the cores among
// several models sets it before each decoder step. Backends made with
// `num_threads` > 0 set it once per thread themselves.
void SetComputeThreads(int threads);

// Whether oneDNN runs bfloat16 natively on this CPU (AVX512-BF16 or AMX);
// elsewhere it emulates it, slower than float32.
bool CpuHasNativeBFloat16();

// The largest code of int8 inputs (quantize.h) on this CPU, the same for
// both backends: 255 where oneDNN multiplies u8 x s8 with VNNI, 127 where it
// has only vpmaddubsw, which saturates the sum of two products at 16 bits
// (2 * 255 * 127 does not fit; 2 * 127 * 127 does). On the bundled model
// with VNNI masked, 255 kept 71 % of greedy lines as float32's, 127 86 %.
int CpuInt8InputMax();

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_BACKEND_H_
