#include "model/kernels/quantize.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace glossa::model {
namespace {

TEST(QuantizeTest, EachRowMapsItsLargestMagnitudeTo127) {
  const std::vector<float> x = {0.5f, -2.0f, 1.0f,   0.25f,  // max 2
                                0.0f, 0.0f,  0.0f,   0.0f,   // zeros
                                3.0f, 1.5f,  -0.75f, 0.1f};  // max 3
  std::vector<int8_t> q(12);
  std::vector<float> scales(3);
  QuantizeRows(x.data(), 3, 4, q.data(), scales.data());
  EXPECT_FLOAT_EQ(scales[0], 2.0f / 127);
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[2], 64);  // 63.5 rounds to even
  EXPECT_EQ(q[0], 32);  // 31.75
  EXPECT_EQ(q[3], 16);  // 15.875
  EXPECT_EQ(scales[1], 0.0f);
  for (int c = 4; c < 8; ++c) EXPECT_EQ(q[c], 0);
  EXPECT_EQ(q[8], 127);
  EXPECT_EQ(q[9], 64);    // 63.5 -> 64 (even)
  EXPECT_EQ(q[10], -32);  // -31.75
  EXPECT_EQ(q[11], 4);    // 4.23
}

TEST(QuantizeTest, ActivationsSpendAllLevelsOnTheirOwnRange) {
  const std::vector<float> x = {-1.0f, 0.0f, 0.5f,  4.0f,   // [-1, 4]
                                0.0f,  0.0f, 0.0f,  0.0f,   // zeros
                                2.0f,  1.0f, 0.25f, 0.1f};  // [0, 2]
  std::vector<uint8_t> q(12);
  std::vector<float> scales(3);
  std::vector<int32_t> zero_points(3);
  QuantizeActivations(x.data(), 3, 4, kUint8Max, q.data(), scales.data(),
                      zero_points.data());
  EXPECT_FLOAT_EQ(scales[0], 5.0f / 255);
  EXPECT_EQ(zero_points[0], 51);  // 1 / (5 / 255)
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 51);       // 0 is exact
  EXPECT_EQ(q[2], 51 + 26);  // 25.5 rounds to even
  EXPECT_EQ(q[3], 255);
  EXPECT_EQ(scales[1], 0.0f);
  EXPECT_EQ(zero_points[1], 0);
  for (int c = 4; c < 8; ++c) EXPECT_EQ(q[c], 0);
  // All >= 0 (as after ReLU): twice the resolution of a symmetric code.
  EXPECT_FLOAT_EQ(scales[2], 2.0f / 255);
  EXPECT_EQ(zero_points[2], 0);
  EXPECT_EQ(q[8], 255);
  EXPECT_EQ(q[9], 128);  // 127.5 rounds to even
  EXPECT_EQ(q[10], 32);  // 31.875
  EXPECT_EQ(q[11], 13);  // 12.75
  // The narrow code of CPUs without VNNI.
  QuantizeActivations(x.data(), 3, 4, 127, q.data(), scales.data(),
                      zero_points.data());
  EXPECT_FLOAT_EQ(scales[2], 2.0f / 127);
  EXPECT_EQ(q[8], 127);
  EXPECT_EQ(q[3], 127);
  EXPECT_EQ(zero_points[0], 25);  // 25.4
}

TEST(QuantizeTest, WeightSumsAreTheQuantizedRowSums) {
  const std::vector<float> w = {3.0f, 1.0f, -1.0f, 4.0f};
  const QuantizedWeights q = QuantizeWeights(w.data(), 2, 2);
  ASSERT_EQ(q.values.size(), 4u);
  EXPECT_EQ(q.sums[0], q.values[0] + q.values[1]);
  EXPECT_EQ(q.sums[1], q.values[2] + q.values[3]);
  EXPECT_EQ(q.values[0], 127);
  EXPECT_EQ(q.values[3], 127);
}

TEST(QuantizeTest, DequantizedProductsRecoverTheFloatProduct) {
  // x = [1, -2], w rows [3, 1] and [-1, 4]: the int32 sums, less the zero
  // point's share, times both scales give x . w up to rounding.
  const std::vector<float> x = {1.0f, -2.0f};
  const std::vector<float> w = {3.0f, 1.0f, -1.0f, 4.0f};
  std::vector<uint8_t> qx(2);
  std::vector<float> sx(1);
  std::vector<int32_t> zx(1);
  QuantizeActivations(x.data(), 1, 2, kUint8Max, qx.data(), sx.data(),
                      zx.data());
  const QuantizedWeights qw = QuantizeWeights(w.data(), 2, 2);
  std::vector<int32_t> acc(2);
  for (int o = 0; o < 2; ++o) {
    acc[o] = qx[0] * qw.values[o * 2] + qx[1] * qw.values[o * 2 + 1];
  }
  const std::vector<float> bias = {0.5f, -0.5f};
  std::vector<float> y(2);
  DequantizeProducts(acc.data(), 1, 2, sx.data(), zx.data(), qw, bias.data(),
                     std::nullopt, y.data());
  EXPECT_NEAR(y[0], 1.0f * 3 - 2.0f * 1 + 0.5f, 0.05f);
  EXPECT_NEAR(y[1], -1.0f - 8.0f - 0.5f, 0.05f);
  DequantizeProducts(acc.data(), 1, 2, sx.data(), zx.data(), qw, bias.data(),
                     Activation::kRelu, y.data());
  EXPECT_EQ(y[1], 0.0f);
}

}  // namespace
}  // namespace glossa::model
