// The float32 <-> F16 / bfloat16 conversions every reader and writer uses.
#include "model/kernels/number_format.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace glossa::model {
namespace {

TEST(HalfTest, ConvertsSpecialValues) {
  EXPECT_EQ(HalfToFloat(0x0000), 0.0f);
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);
  EXPECT_FLOAT_EQ(HalfToFloat(0x0001), 5.9604645e-8f);  // smallest subnormal
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
}

TEST(HalfTest, EveryNormalHalfRoundTrips) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const uint16_t h = static_cast<uint16_t>(bits);
    const uint32_t exponent = (h >> 10) & 0x1f;
    if (exponent == 0 || exponent == 0x1f) continue;  // subnormal, inf, NaN
    EXPECT_EQ(FloatToHalf(HalfToFloat(h)), h) << std::hex << bits;
  }
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 4096), 0x3c00);  // rounds to nearest
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);                // overflow: inf
  EXPECT_EQ(FloatToHalf(-1e-10f), 0x8000);             // underflow: -0
}

TEST(BFloat16Test, RoundsToNearestEvenAndKeepsNaN) {
  EXPECT_EQ(BFloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
  // 1 + 2^-8 is halfway between two bfloat16 values: ties go to even.
  EXPECT_EQ(FloatToBFloat16(1.0f + 1.0f / 256), 0x3f80);
  EXPECT_EQ(FloatToBFloat16(1.0f + 3.0f / 256), 0x3f82);
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(
      FloatToBFloat16(std::numeric_limits<float>::quiet_NaN()))));
  for (uint32_t bits = 0; bits < 0x10000; bits += 7) {
    const uint16_t b = static_cast<uint16_t>(bits);
    const float value = BFloat16ToFloat(b);
    if (std::isnan(value)) continue;
    EXPECT_EQ(FloatToBFloat16(value), b) << std::hex << bits;
  }
}

}  // namespace
}  // namespace glossa::model
