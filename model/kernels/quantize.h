#ifndef GLOSSA_MODEL_KERNELS_QUANTIZE_H_
#define GLOSSA_MODEL_KERNELS_QUANTIZE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "model/kernels/compute_type.h"

// The int8 compute type's number formats, the one definition both backends
// use. Weights are quantized once at load, symmetric signed 8-bit with one
// scale per output feature (max |w| / 127, as CTranslate2's int8). Inputs
// are quantized per row (per token) at every multiplication, so a row's
// result never depends on the rows batched with it: asymmetric unsigned
// 8-bit over the row's own range [min(x, 0), max(x, 0)] with a zero point.
// The asymmetric form spends all 256 levels on values that occur: an FFN's
// second input (after ReLU, GELU or swish) is nearly all >= 0, and a
// symmetric code would waste half its levels there. u8 x s8 is also the
// form VNNI's dot-product instruction multiplies natively. Without VNNI
// the codes stop at 127 (CpuInt8InputMax in backend.h).
namespace glossa::model {

inline constexpr float kInt8Max = 127.0f;
inline constexpr int kUint8Max = 255;

// q[r, c] = round(x[r, c] / scales[r]) with scales[r] = max_c |x[r, c]| / 127
// (rounding to nearest, ties to even; a row of zeros gets scale 0 and zeros).
void QuantizeRows(const float* x, size_t rows, size_t cols, int8_t* q,
                  float* scales);

// A weight matrix [out, in] in the int8 format, with what the products of
// asymmetric inputs need: each output feature's sum of quantized weights.
struct QuantizedWeights {
  std::vector<int8_t> values;  // [out, in]
  std::vector<float> scales;   // [out]
  std::vector<int32_t> sums;   // [out]
};
QuantizedWeights QuantizeWeights(const float* w, size_t out, size_t in);

// q[r, c] = clamp(round(x[r, c] / scales[r]) + zero_points[r], 0, max_code),
// where scales[r] = (max(x_r, 0) - min(x_r, 0)) / max_code and
// zero_points[r] = round(-min(x_r, 0) / scales[r]), so that 0 is exact. A row
// of zeros gets scale 0, zero point 0 and zeros. max_code <= 255.
void QuantizeActivations(const float* x, size_t rows, size_t cols, int max_code,
                         uint8_t* q, float* scales, int32_t* zero_points);

// y[r, o] = act((acc[r, o] - zero_points[r] * w.sums[o]) * scales[r] *
// w.scales[o] + bias[o]) for the int32 products acc = q_x . q_w^T of rows
// quantized by QuantizeActivations. `bias` may be null.
void DequantizeProducts(const int32_t* acc, size_t rows, size_t cols,
                        const float* scales, const int32_t* zero_points,
                        const QuantizedWeights& w, const float* bias,
                        std::optional<Activation> activation, float* y);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_KERNELS_QUANTIZE_H_
