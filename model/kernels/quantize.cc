#include "model/kernels/quantize.h"

#include <algorithm>
#include <cmath>

#include "model/kernels/ops.h"

namespace glossa::model {

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
      const float v = std::nearbyint(row[c] * inverse);
      out[c] = static_cast<int8_t>(std::min(std::max(v, -kInt8Max), kInt8Max));
    }
  }
}

void DequantizeProducts(const int32_t* acc, size_t rows, size_t cols,
                        const float* row_scales, const float* col_scales,
                        const float* bias, std::optional<Activation> activation,
                        float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const int32_t* in = acc + r * cols;
    float* out = y + r * cols;
    const float row_scale = row_scales[r];
    if (bias != nullptr) {
#pragma omp simd
      for (size_t c = 0; c < cols; ++c) {
        out[c] =
            static_cast<float>(in[c]) * (row_scale * col_scales[c]) + bias[c];
      }
    } else {
#pragma omp simd
      for (size_t c = 0; c < cols; ++c) {
        out[c] = static_cast<float>(in[c]) * (row_scale * col_scales[c]);
      }
    }
  }
  if (activation) ApplyActivation(*activation, y, rows * cols);
}

}  // namespace glossa::model
