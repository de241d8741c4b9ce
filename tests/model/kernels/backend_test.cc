#include "model/kernels/backend.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <utility>
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

// One random layer (bias, no activation) through `backend` and through the
// float32 oracle: {got, want}.
std::pair<std::vector<float>, std::vector<float>> AgainstFloat32(
    const Backend& backend, int in, int out, int rows, uint32_t seed) {
  const auto weight = Random(in * out, seed);
  const auto bias = Random(out, seed + 1);
  const auto x = Random(rows * in, seed + 2);
  auto reference = CreateReferenceBackend();
  auto packed = backend.Pack(weight.data(), bias.data(), out, in, std::nullopt);
  auto oracle =
      reference->Pack(weight.data(), bias.data(), out, in, std::nullopt);
  EXPECT_TRUE(packed.ok()) << packed.status();
  EXPECT_TRUE(oracle.ok()) << oracle.status();
  std::vector<float> got(rows * out), want(rows * out);
  if (!packed.ok() || !oracle.ok()) return {got, want};
  EXPECT_TRUE(backend.Linear(**packed, x.data(), rows, got.data()).ok());
  EXPECT_TRUE(reference->Linear(**oracle, x.data(), rows, want.data()).ok());
  return {got, want};
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
  const auto [got, want] = AgainstFloat32(**bf16, 128, 64, 8, 4);
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

// No prepared kernel is one of oneDNN's reference fallbacks (plain loops,
// 20x slower): oneDNN 2.6 sends a single row of s8 x s8 there, which is
// one reason int8 inputs are u8. int8 is checked where the CPU has VNNI (the
// kernels oneDNN names avx512_core_vnni, _bf16 and _amx all do).
TEST(DnnlBackendTest, PreparedKernelsAreOptimizedOnes) {
  for (const ComputeType type : {ComputeType::kFloat32, ComputeType::kInt8}) {
    auto dnnl = CreateDnnlBackend(type, 1);
    ASSERT_TRUE(dnnl.ok()) << dnnl.status();
    const std::string described = (*dnnl)->Describe();
    if (type == ComputeType::kInt8 &&
        described.find("avx512_core_") == std::string::npos) {
      continue;  // no VNNI: oneDNN may have only its reference int8 kernel
    }
    // The bundled model's layer shapes (d_model 256, FFN 1024, vocabulary
    // 8000, fused QKV) and OPUS-MT base's.
    std::vector<std::unique_ptr<PackedLinear>> layers;
    for (const auto& [in, out, activation] :
         std::vector<std::tuple<int, int, std::optional<Activation>>>{
             {256, 768, std::nullopt},
             {256, 256, std::nullopt},
             {256, 1024, Activation::kSwish},
             {1024, 256, std::nullopt},
             {256, 8000, std::nullopt},
             {512, 1536, std::nullopt},
             {512, 2048, Activation::kSwish},
             {2048, 512, std::nullopt}}) {
      const auto weight = Random(in * out, in + out);
      const auto bias = Random(out, 3);
      auto packed =
          (*dnnl)->Pack(weight.data(), bias.data(), out, in, activation);
      ASSERT_TRUE(packed.ok()) << packed.status();
      layers.push_back(*std::move(packed));
    }
    ASSERT_TRUE((*dnnl)->PrepareKernels().ok());
    EXPECT_EQ((*dnnl)->reference_kernel_count(), 0u) << described;
    // A single row runs (padded where the kernels need it) and matches the
    // same row computed in a batch.
    const auto x = Random(3 * 256, 4);
    std::vector<float> one(768), three(3 * 768);
    ASSERT_TRUE((*dnnl)->Linear(*layers[0], x.data(), 1, one.data()).ok());
    ASSERT_TRUE((*dnnl)->Linear(*layers[0], x.data(), 3, three.data()).ok());
    for (int i = 0; i < 768; ++i) ASSERT_NEAR(one[i], three[i], 1e-5) << i;
    EXPECT_EQ((*dnnl)->reference_kernel_count(), 0u) << described;
  }
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

class DnnlInt8Test : public ::testing::TestWithParam<LinearCase> {};

// oneDNN's u8 x s8 matmul against the plain-loop int8 oracle: the same
// quantized values (quantize.h) and int32 sums, so on CPUs with VNNI the
// results are identical; the bound leaves room for a CPU without it.
TEST_P(DnnlInt8Test, MatchesTheInt8Reference) {
  const LinearCase c = GetParam();
  auto dnnl = CreateDnnlBackend(ComputeType::kInt8, 1);
  ASSERT_TRUE(dnnl.ok()) << dnnl.status();
  auto reference = CreateReferenceBackend(ComputeType::kInt8);
  const auto weight = Random(c.in * c.out, 11);
  const auto bias = Random(c.out, 12);
  auto packed = (*dnnl)->Pack(weight.data(), c.bias ? bias.data() : nullptr,
                              c.out, c.in, c.activation);
  ASSERT_TRUE(packed.ok()) << packed.status();
  auto oracle = reference->Pack(weight.data(), c.bias ? bias.data() : nullptr,
                                c.out, c.in, c.activation);
  ASSERT_TRUE(oracle.ok());
  for (int rows : {c.rows, 1, 65, 200}) {
    const auto x = Random(rows * c.in, 13 + rows);
    std::vector<float> got(rows * c.out), want(rows * c.out);
    ASSERT_TRUE((*dnnl)->Linear(**packed, x.data(), rows, got.data()).ok());
    ASSERT_TRUE(reference->Linear(**oracle, x.data(), rows, want.data()).ok());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i])))
          << "rows=" << rows << " index " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, DnnlInt8Test,
    ::testing::Values(LinearCase{1, 64, 64, true, std::nullopt},
                      LinearCase{16, 256, 192, true, std::nullopt},
                      LinearCase{64, 96, 300, false, std::nullopt},
                      LinearCase{5, 64, 128, true, Activation::kRelu},
                      LinearCase{5, 64, 128, true, Activation::kGelu}));

// 8 bits per row (inputs) and per output feature (weights): the error of a
// product is a fraction of a percent of its typical size.
TEST(DnnlBackendTest, Int8IsCloseToFloat32) {
  auto int8 = CreateDnnlBackend(ComputeType::kInt8, 1);
  ASSERT_TRUE(int8.ok()) << int8.status();
  const auto [got, want] = AgainstFloat32(**int8, 512, 256, 32, 14);
  double error = 0, size = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    error += (got[i] - want[i]) * (got[i] - want[i]);
    size += want[i] * want[i];
  }
  EXPECT_LT(std::sqrt(error / size), 0.015);
  EXPECT_GT(std::sqrt(error / size), 0.0);  // it is really quantized
}

// Activations are quantized per row: a row gives the same result alone as
// batched beside rows of a very different magnitude.
TEST(DnnlBackendTest, Int8RowsDoNotDependOnEachOther) {
  auto int8 = CreateDnnlBackend(ComputeType::kInt8, 1);
  ASSERT_TRUE(int8.ok()) << int8.status();
  const int in = 128, out = 64, rows = 9;
  const auto weight = Random(in * out, 17);
  auto packed =
      (*int8)->Pack(weight.data(), nullptr, out, in, Activation::kRelu);
  ASSERT_TRUE(packed.ok()) << packed.status();
  auto x = Random(rows * in, 18);
  for (int i = in; i < 2 * in; ++i) x[i] *= 1000.0f;  // row 1 is huge
  std::vector<float> batched(rows * out);
  ASSERT_TRUE((*int8)->Linear(**packed, x.data(), rows, batched.data()).ok());
  for (int r = 0; r < rows; ++r) {
    std::vector<float> alone(out);
    ASSERT_TRUE((*int8)->Linear(**packed, &x[r * in], 1, alone.data()).ok());
    for (int o = 0; o < out; ++o) {
      ASSERT_EQ(alone[o], batched[r * out + o]) << "row " << r;
    }
  }
}

}  // namespace
}  // namespace glossa::model
