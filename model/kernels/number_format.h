#ifndef GLOSSA_MODEL_KERNELS_NUMBER_FORMAT_H_
#define GLOSSA_MODEL_KERNELS_NUMBER_FORMAT_H_

#include <cstdint>

// Conversions between float32 and the 16-bit formats of checkpoints and
// compute types: IEEE half (F16) and bfloat16. Bit-exact, no CPU features
// assumed; the one place each rounding rule is written.
namespace glossa::model {

// Exact (every half value is a float): subnormals normalised, inf/NaN kept.
float HalfToFloat(uint16_t h);
// Round to nearest; values below half's smallest normal flush to zero and
// values past its range become infinity (checkpoint writing only).
uint16_t FloatToHalf(float value);

// Exact.
float BFloat16ToFloat(uint16_t h);
// Round to nearest even; NaN stays NaN.
uint16_t FloatToBFloat16(float value);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_KERNELS_NUMBER_FORMAT_H_
