#ifndef GLOSSA_MODEL_KERNELS_QUANTIZE_H_
#define GLOSSA_MODEL_KERNELS_QUANTIZE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "model/kernels/compute_type.h"

// The int8 compute type's number format, the one definition both backends
// use: symmetric 8-bit values with one float scale per row. Weights are
// quantized per output feature once at load; activations per row (per
// token) at every multiplication, so a row's result never depends on the
// other rows batched with it. As CTranslate2's int8 does, with the same
// scale rule (max |v| / 127).
namespace glossa::model {

inline constexpr float kInt8Max = 127.0f;

// q[r, c] = round(x[r, c] / scales[r]) with scales[r] = max_c |x[r, c]| / 127
// (rounding to nearest, ties to even; a row of zeros gets scale 0 and zeros).
void QuantizeRows(const float* x, size_t rows, size_t cols, int8_t* q,
                  float* scales);

// y[r, o] = act(acc[r, o] * row_scales[r] * col_scales[o] + bias[o]), for
// int32 products of two quantized matrices. `bias` may be null.
void DequantizeProducts(const int32_t* acc, size_t rows, size_t cols,
                        const float* row_scales, const float* col_scales,
                        const float* bias, std::optional<Activation> activation,
                        float* y);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_KERNELS_QUANTIZE_H_
