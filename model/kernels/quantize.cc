#include "model/kernels/quantize.h"

#include <algorithm>
#include <cmath>

#include "model/kernels/ops.h"

namespace glossa::model {
namespace {

// Below this many rows a parallel region costs more than it saves.
constexpr size_t kParallelRows = 8;

// std::nearbyint's result (ties to even) for |x| < 2^22, in arithmetic the
// compiler vectorises: GCC keeps nearbyint a scalar instruction per
// element, which made quantizing a fifth of an int8 step at batch 64. The
// file is built without FMA contraction (model/CMakeLists.txt), so x is
// the rounded product, as nearbyint saw it.
inline float RoundToNearest(float x) {
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23
  return (x + kShift) - kShift;
}

}  // namespace

void QuantizeRows(const float* x, size_t rows, size_t cols, int8_t* q,
                  float* scales) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    int8_t* out = q + r * cols;
    float max_abs = 0.0f;
#pragma omp simd reduction(max : max_abs)
    for (size_t c = 0; c < cols; ++c) {
      max_abs = std::max(max_abs, std::fabs(row[c]));
    }
    scales[r] = max_abs / kInt8Max;
    const float inverse = max_abs > 0.0f ? kInt8Max / max_abs : 0.0f;
#pragma omp simd
    for (size_t c = 0; c < cols; ++c) {
      // |row[c] * inverse| <= 127 up to rounding of the product; the clamp
      // keeps that last ulp from wrapping.
      const float v = RoundToNearest(row[c] * inverse);
      out[c] = static_cast<int8_t>(
          static_cast<int32_t>(std::min(std::max(v, -kInt8Max), kInt8Max)));
    }
  }
}

QuantizedWeights QuantizeWeights(const float* w, size_t out, size_t in) {
  QuantizedWeights q;
  q.values.resize(out * in);
  q.scales.resize(out);
  q.sums.resize(out);
  QuantizeRows(w, out, in, q.values.data(), q.scales.data());
  for (size_t o = 0; o < out; ++o) {
    int32_t sum = 0;
    for (size_t i = 0; i < in; ++i) sum += q.values[o * in + i];
    q.sums[o] = sum;
  }
  return q;
}

void QuantizeActivations(const float* x, size_t rows, size_t cols, int max_code,
                         uint8_t* q, float* scales, int32_t* zero_points) {
  const float top = static_cast<float>(max_code);
  // Rows are independent; in large batches this pass and the one below are
  // a fifth of an int8 step, too much to leave to one core.
#pragma omp parallel for schedule(static) if (rows >= kParallelRows)
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    uint8_t* out = q + r * cols;
    float lo = 0.0f;
    float hi = 0.0f;
#pragma omp simd reduction(min : lo) reduction(max : hi)
    for (size_t c = 0; c < cols; ++c) {
      lo = std::min(lo, row[c]);
      hi = std::max(hi, row[c]);
    }
    // A copy of the shared bound in this thread's frame: the uint8 stores
    // below may alias anything, and a bound read through the parallel
    // region's shared data each time keeps the loop from vectorising.
    const float bound = top;
    const float range = hi - lo;
    if (!(range > 0.0f)) {
      scales[r] = 0.0f;
      zero_points[r] = 0;
      std::fill(out, out + cols, 0);
      continue;
    }
    scales[r] = range / bound;
    const float inverse = bound / range;
    const float zero = std::nearbyint(-lo * inverse);
    zero_points[r] = static_cast<int32_t>(zero);
#pragma omp simd
    for (size_t c = 0; c < cols; ++c) {
      const float v = RoundToNearest(row[c] * inverse) + zero;
      // Through int32: GCC vectorises float -> int32 -> uint8, not a direct
      // float -> uint8 conversion.
      out[c] = static_cast<uint8_t>(
          static_cast<int32_t>(std::min(std::max(v, 0.0f), bound)));
    }
  }
}

void DequantizeProducts(const int32_t* acc, size_t rows, size_t cols,
                        const float* scales, const int32_t* zero_points,
                        const QuantizedWeights& w, const float* bias,
                        std::optional<Activation> activation, float* y) {
  const float* col_scales = w.scales.data();
  const int32_t* col_sums = w.sums.data();
#pragma omp parallel for schedule(static) if (rows >= kParallelRows)
  for (size_t r = 0; r < rows; ++r) {
    const int32_t* in = acc + r * cols;
    float* out = y + r * cols;
    const float row_scale = scales[r];
    const int32_t zero = zero_points[r];
    // |zero * sum| <= 255 * 127 * cols: int32 holds it for any layer width
    // below 66,000.
#pragma omp simd
    for (size_t c = 0; c < cols; ++c) {
      out[c] = static_cast<float>(in[c] - zero * col_sums[c]) *
               (row_scale * col_scales[c]);
    }
    if (bias != nullptr) {
#pragma omp simd
      for (size_t c = 0; c < cols; ++c) out[c] += bias[c];
    }
    if (activation) ApplyActivation(*activation, out, cols);
  }
}

}  // namespace glossa::model
