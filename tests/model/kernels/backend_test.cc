#include "model/kernels/backend.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace glossa::model {
namespace {

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::vector<float> values(n);
  for (float& v : values) v = normal(rng);
  return values;
}

struct LinearCase {
  int rows;
  int in;
  int out;
  bool bias;
  std::optional<Activation> activation;
};

class DnnlLinearTest : public ::testing::TestWithParam<LinearCase> {};

// The oneDNN path against the plain-loop oracle, for the shapes and fused
// post-ops the model uses, over several row counts served by one packing.
TEST_P(DnnlLinearTest, MatchesReference) {
  const LinearCase c = GetParam();
  auto dnnl = CreateDnnlBackend(ComputeType::kFloat32, 1);
  ASSERT_TRUE(dnnl.ok()) << dnnl.status();
  auto reference = CreateReferenceBackend();
  const auto weight = Random(c.in * c.out, 1);
  const auto bias = Random(c.out, 2);
  auto packed = (*dnnl)->Pack(weight.data(), c.bias ? bias.data() : nullptr,
                              c.out, c.in, c.activation);
  ASSERT_TRUE(packed.ok()) << packed.status();
  auto oracle = reference->Pack(weight.data(), c.bias ? bias.data() : nullptr,
                                c.out, c.in, c.activation);
  ASSERT_TRUE(oracle.ok());
  for (int rows : {c.rows, 1, c.rows + 7}) {
    const auto x = Random(rows * c.in, 3 + rows);
    std::vector<float> got(rows * c.out), want(rows * c.out);
    ASSERT_TRUE((*dnnl)->Linear(**packed, x.data(), rows, got.data()).ok());
    ASSERT_TRUE(reference->Linear(**oracle, x.data(), rows, want.data()).ok());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], 2e-4 * std::sqrt(c.in))
          << "rows=" << rows << " index " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, DnnlLinearTest,
    ::testing::Values(LinearCase{1, 64, 64, true, std::nullopt},
                      LinearCase{16, 64, 192, true, std::nullopt},
                      LinearCase{64, 96, 300, false, std::nullopt},
                      LinearCase{5, 64, 128, true, Activation::kRelu},
                      LinearCase{5, 64, 128, true, Activation::kSwish},
                      LinearCase{5, 64, 128, true, Activation::kGelu},
                      LinearCase{5, 64, 128, true, Activation::kGeluNew}));

TEST(DnnlBackendTest, BFloat16IsCloseToFloat32) {
  auto bf16 = CreateDnnlBackend(ComputeType::kBFloat16, 1);
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  auto reference = CreateReferenceBackend();
  const int in = 128, out = 64, rows = 8;
  const auto weight = Random(in * out, 4);
  const auto bias = Random(out, 5);
  const auto x = Random(rows * in, 6);
  auto packed =
      (*bf16)->Pack(weight.data(), bias.data(), out, in, std::nullopt);
  ASSERT_TRUE(packed.ok()) << packed.status();
  auto oracle =
      reference->Pack(weight.data(), bias.data(), out, in, std::nullopt);
  std::vector<float> got(rows * out), want(rows * out);
  ASSERT_TRUE((*bf16)->Linear(**packed, x.data(), rows, got.data()).ok());
  ASSERT_TRUE(reference->Linear(**oracle, x.data(), rows, want.data()).ok());
  // bfloat16 keeps 8 bits of mantissa: relative error ~ 2^-8 per product.
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 0.1);
}

TEST(DnnlBackendTest, Int8IsReportedAsUnimplemented) {
  auto int8 = CreateDnnlBackend(ComputeType::kInt8, 1);
  EXPECT_EQ(int8.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace glossa::model
