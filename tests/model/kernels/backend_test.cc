#include "model/kernels/backend.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "model/kernels/row_chunks.h"

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
  // 65 and above run as several chunks (row_chunks.h); 455 = 256+128+64+7.
  for (int rows : {c.rows, 1, c.rows + 7, 65, 200, 455}) {
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

// Kernels are made for a bounded set of row counts and shared by layers of
// one shape: after PrepareKernels, no row count a batch can have makes
// another one (memory and first-use latency stay at their warm-up level).
TEST(DnnlBackendTest, PrepareKernelsMakesEveryKernelAnyRowCountNeeds) {
  auto dnnl = CreateDnnlBackend(ComputeType::kFloat32, 1);
  ASSERT_TRUE(dnnl.ok()) << dnnl.status();
  const int in = 32, out = 48;
  const auto weight = Random(in * out, 7);
  const auto bias = Random(out, 8);
  // Two layers of one shape and one of another.
  auto a = (*dnnl)->Pack(weight.data(), bias.data(), out, in, std::nullopt);
  auto b = (*dnnl)->Pack(weight.data(), bias.data(), out, in, std::nullopt);
  auto c = (*dnnl)->Pack(weight.data(), nullptr, out, in, Activation::kRelu);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE((*dnnl)->PrepareKernels().ok());
  const size_t prepared = (*dnnl)->kernel_count();
  EXPECT_EQ(prepared, 2 * AllRowChunkSizes().size());
  std::vector<float> y;
  for (int rows = 1; rows <= 1100; rows += 1 + rows / 8) {
    const auto x = Random(rows * in, rows);
    y.resize(rows * out);
    for (const auto* layer : {&*a, &*b, &*c}) {
      ASSERT_TRUE((*dnnl)->Linear(**layer, x.data(), rows, y.data()).ok());
    }
  }
  EXPECT_EQ((*dnnl)->kernel_count(), prepared);
}

TEST(RowChunksTest, ChunksAddUpAndComeFromTheFixedSet) {
  const std::vector<int64_t> sizes = AllRowChunkSizes();
  for (int64_t rows = 1; rows <= 5000; ++rows) {
    const std::vector<int64_t> chunks = RowChunks(rows);
    int64_t sum = 0;
    for (const int64_t chunk : chunks) {
      ASSERT_NE(std::find(sizes.begin(), sizes.end(), chunk), sizes.end())
          << "rows=" << rows << " chunk " << chunk;
      sum += chunk;
    }
    ASSERT_EQ(sum, rows);
    // Up to kExactRows rows stay one multiplication (one pass over the
    // weights per decoder step).
    if (rows <= kExactRows) {
      ASSERT_EQ(chunks.size(), 1u) << rows;
    }
  }
  EXPECT_EQ(RowChunks(200), (std::vector<int64_t>{128, 64, 8}));
  EXPECT_EQ(RowChunks(600), (std::vector<int64_t>{256, 256, 64, 24}));
}

TEST(DnnlBackendTest, Int8IsReportedAsUnimplemented) {
  auto int8 = CreateDnnlBackend(ComputeType::kInt8, 1);
  EXPECT_EQ(int8.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace glossa::model
