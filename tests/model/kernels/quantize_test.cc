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

TEST(QuantizeTest, DequantizedProductsRecoverTheFloatProduct) {
  // x = [1, -2] (scale 2/127), w rows [3, 1] and [-1, 4] (scales 3/127,
  // 4/127): the int32 sums times both scales give x . w up to rounding.
  const std::vector<float> x = {1.0f, -2.0f};
  const std::vector<float> w = {3.0f, 1.0f, -1.0f, 4.0f};
  std::vector<int8_t> qx(2), qw(4);
  std::vector<float> sx(1), sw(2);
  QuantizeRows(x.data(), 1, 2, qx.data(), sx.data());
  QuantizeRows(w.data(), 2, 2, qw.data(), sw.data());
  std::vector<int32_t> acc(2);
  for (int o = 0; o < 2; ++o) {
    acc[o] = qx[0] * qw[o * 2] + qx[1] * qw[o * 2 + 1];
  }
  const std::vector<float> bias = {0.5f, -0.5f};
  std::vector<float> y(2);
  DequantizeProducts(acc.data(), 1, 2, sx.data(), sw.data(), bias.data(),
                     std::nullopt, y.data());
  EXPECT_NEAR(y[0], 1.0f * 3 - 2.0f * 1 + 0.5f, 0.05f);
  EXPECT_NEAR(y[1], -1.0f - 8.0f - 0.5f, 0.05f);
  DequantizeProducts(acc.data(), 1, 2, sx.data(), sw.data(), bias.data(),
                     Activation::kRelu, y.data());
  EXPECT_EQ(y[1], 0.0f);
}

}  // namespace
}  // namespace glossa::model
