#include "model/kernels/ops.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace glossa::model {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(n);
  for (float& v : values) v = normal(rng);
  return values;
}

TEST(ActivationTest, MatchesDefinitions) {
  const std::vector<float> inputs = {-3.0f, -0.5f, 0.0f, 0.7f, 2.5f};
  for (float x : inputs) {
    float relu = x, swish = x, gelu = x, gelu_new = x;
    ApplyActivation(Activation::kRelu, &relu, 1);
    ApplyActivation(Activation::kSwish, &swish, 1);
    ApplyActivation(Activation::kGelu, &gelu, 1);
    ApplyActivation(Activation::kGeluNew, &gelu_new, 1);
    EXPECT_FLOAT_EQ(relu, x > 0 ? x : 0.0f);
    EXPECT_NEAR(swish, x / (1.0 + std::exp(-x)), 1e-6);
    EXPECT_NEAR(gelu, 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))), 1e-6);
    EXPECT_NEAR(gelu_new,
                0.5 * x *
                    (1.0 + std::tanh(std::sqrt(2.0 / M_PI) *
                                     (x + 0.044715 * x * x * x))),
                1e-6);
  }
}

// The vectorised forms over a dense sweep and at the extremes, where the
// exponential saturates: within 2e-6 (relative past |x| = 1) of the
// definitions in double precision, never NaN.
TEST(ActivationTest, VectorisedFormsHoldOverTheWholeRange) {
  std::vector<float> inputs;
  for (int i = -2000; i <= 2000; ++i) inputs.push_back(i * 0.005f);
  for (float big : {20.0f, 50.0f, 90.0f, 1e4f, 1e30f}) {
    inputs.push_back(big);
    inputs.push_back(-big);
  }
  const auto reference = [](Activation a, double x) {
    switch (a) {
      case Activation::kRelu:
        return x > 0 ? x : 0.0;
      case Activation::kSwish:
        return x / (1.0 + std::exp(-x));
      case Activation::kGelu:
        return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
      case Activation::kGeluNew:
        return 0.5 * x *
               (1.0 +
                std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    }
    return 0.0;
  };
  for (Activation a : {Activation::kRelu, Activation::kSwish, Activation::kGelu,
                       Activation::kGeluNew}) {
    std::vector<float> y = inputs;
    ApplyActivation(a, y.data(), y.size());
    for (size_t i = 0; i < y.size(); ++i) {
      const double want = reference(a, inputs[i]);
      ASSERT_FALSE(std::isnan(y[i])) << inputs[i];
      EXPECT_NEAR(y[i], want, 2e-6 * std::max(1.0, std::abs(double{inputs[i]})))
          << ActivationName(a) << " at " << inputs[i];
    }
  }
}

TEST(LayerNormTest, MatchesDoublePrecisionDefinition) {
  const int rows = 3, dim = 17;
  const std::vector<float> x = Random(rows * dim, 1, 3.0f);
  const std::vector<float> gamma = Random(dim, 2);
  const std::vector<float> beta = Random(dim, 3);
  std::vector<float> out(x.size());
  LayerNorm(x.data(), rows, dim, gamma.data(), beta.data(), 1e-5f, out.data());
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int i = 0; i < dim; ++i) mean += x[r * dim + i];
    mean /= dim;
    for (int i = 0; i < dim; ++i) {
      var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
    }
    var /= dim;
    for (int i = 0; i < dim; ++i) {
      const double expected =
          (x[r * dim + i] - mean) / std::sqrt(var + 1e-5) * gamma[i] + beta[i];
      EXPECT_NEAR(out[r * dim + i], expected, 1e-5);
    }
  }
}

TEST(SoftmaxTest, SoftmaxAndLogSoftmaxAgree) {
  std::vector<float> x = Random(50, 4, 5.0f);
  std::vector<float> log_probs(x.size());
  const float log_z = LogSoftmax(x.data(), 50, log_probs.data());
  std::vector<float> probs = x;
  SoftmaxInPlace(probs.data(), 50);
  double total = 0;
  for (int i = 0; i < 50; ++i) {
    total += probs[i];
    EXPECT_NEAR(std::log(probs[i]), log_probs[i], 1e-4);
    EXPECT_NEAR(x[i] - log_z, log_probs[i], 1e-6);
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
}

TEST(EmbeddingTest, LooksUpAndScales) {
  const std::vector<float> table = {0, 1, 2, 3, 4, 5};  // 3 rows of 2
  const int ids[] = {2, 0};
  float out[4];
  EmbeddingLookup(table.data(), 2, ids, 2, 2.0f, out);
  EXPECT_EQ(out[0], 8);
  EXPECT_EQ(out[1], 10);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(out[3], 2);
}

TEST(PositionsTest, SinFirstHalfCosSecondHalf) {
  const int dim = 8;
  const std::vector<float> table = SinusoidalPositionTable(5, dim);
  for (int pos = 0; pos < 5; ++pos) {
    for (int j = 0; j < dim / 2; ++j) {
      const double angle = pos / std::pow(10000.0, 2.0 * j / dim);
      EXPECT_NEAR(table[pos * dim + j], std::sin(angle), 1e-6);
      EXPECT_NEAR(table[pos * dim + dim / 2 + j], std::cos(angle), 1e-6);
    }
  }
}

// Naive attention with explicit boolean masks, the way a textbook writes
// it: scores for every key, masked ones set to -inf.
std::vector<float> NaiveAttention(
    const std::vector<float>& q, const std::vector<float>& k,
    const std::vector<float>& v, int n_q, int n_k, int heads, int head_dim,
    const std::vector<bool>& key_valid, bool causal, int offset,
    const RelativeBias& bias = {}, double scale = 0) {
  if (scale == 0) scale = 1.0 / std::sqrt(head_dim);
  const int d = heads * head_dim;
  std::vector<float> out(n_q * d, 0.0f);
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < n_q; ++i) {
      std::vector<double> s(n_k);
      double max_s = -1e300;
      for (int j = 0; j < n_k; ++j) {
        const bool visible = key_valid[j] && (!causal || j <= i + offset);
        double dot = 0;
        for (int e = 0; e < head_dim; ++e) {
          dot += q[i * d + h * head_dim + e] * k[j * d + h * head_dim + e];
        }
        dot *= scale;
        if (bias.values != nullptr) {
          // The query's position is i + offset, as the kernels count it.
          dot += bias.values[h * bias.head_stride + bias.center + j -
                             (i + offset)];
        }
        s[j] = visible ? dot : -INFINITY;
        max_s = std::max(max_s, s[j]);
      }
      double total = 0;
      for (double& value : s) {
        value = std::exp(value - max_s);
        total += value;
      }
      for (int j = 0; j < n_k; ++j) {
        for (int e = 0; e < head_dim; ++e) {
          out[i * d + h * head_dim + e] +=
              s[j] / total * v[j * d + h * head_dim + e];
        }
      }
    }
  }
  return out;
}

TEST(AttentionTest, PaddedKeysAreIgnored) {
  const int heads = 3, head_dim = 4, d = heads * head_dim;
  const int n_q = 4, n_valid = 5, n_padded = 7;
  const auto q = Random(n_q * d, 5), k = Random(n_padded * d, 6),
             v = Random(n_padded * d, 7);
  std::vector<bool> valid(n_padded, false);
  for (int j = 0; j < n_valid; ++j) valid[j] = true;
  const auto expected =
      NaiveAttention(q, k, v, n_q, n_padded, heads, head_dim, valid, false, 0);
  std::vector<float> out(n_q * d);
  MultiHeadAttention(q.data(), d, k.data(), d, v.data(), d, n_q, n_valid, heads,
                     head_dim, 1.0f / std::sqrt(head_dim), false, 0, out.data(),
                     d);
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_NEAR(out[i], expected[i], 1e-5);
}

TEST(AttentionTest, CausalMaskWithOffset) {
  const int heads = 2, head_dim = 8, d = heads * head_dim;
  const int n_q = 3, n_k = 6, offset = 3;  // queries are the last 3 positions
  const auto q = Random(n_q * d, 8), k = Random(n_k * d, 9),
             v = Random(n_k * d, 10);
  const auto expected =
      NaiveAttention(q, k, v, n_q, n_k, heads, head_dim,
                     std::vector<bool>(n_k, true), true, offset);
  std::vector<float> out(n_q * d);
  MultiHeadAttention(q.data(), d, k.data(), d, v.data(), d, n_q, n_k, heads,
                     head_dim, 1.0f / std::sqrt(head_dim), true, offset,
                     out.data(), d);
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_NEAR(out[i], expected[i], 1e-5);
}

TEST(AttentionTest, StridedInputsMatchContiguous) {
  // Q, K, V interleaved in one [n, 3d] buffer, as the fused projection
  // writes them.
  const int heads = 2, head_dim = 4, d = 8, n = 5;
  const auto fused = Random(n * 3 * d, 11);
  std::vector<float> q(n * d), k(n * d), v(n * d);
  for (int i = 0; i < n; ++i) {
    for (int e = 0; e < d; ++e) {
      q[i * d + e] = fused[i * 3 * d + e];
      k[i * d + e] = fused[i * 3 * d + d + e];
      v[i * d + e] = fused[i * 3 * d + 2 * d + e];
    }
  }
  std::vector<float> strided(n * d), contiguous(n * d);
  MultiHeadAttention(fused.data(), 3 * d, fused.data() + d, 3 * d,
                     fused.data() + 2 * d, 3 * d, n, n, heads, head_dim, 0.5f,
                     false, 0, strided.data(), d);
  MultiHeadAttention(q.data(), d, k.data(), d, v.data(), d, n, n, heads,
                     head_dim, 0.5f, false, 0, contiguous.data(), d);
  EXPECT_EQ(strided, contiguous);
}

// The decoder's single-query kernel over transposed, padded keys against
// the same naive attention, for head sizes on and off its 16-wide blocks.
TEST(AttentionTest, SingleQueryOverTransposedKeysMatchesNaive) {
  for (const int head_dim : {16, 24, 64}) {
    for (const int n_k : {1, 7, 16, 33}) {
      const int heads = 2, d = heads * head_dim;
      const int stride = KeyStride(n_k);
      const auto q = Random(d, 20), k = Random(n_k * d, 21),
                 v = Random(n_k * d, 22);
      std::vector<float> keys_t(static_cast<size_t>(d) * stride, 0.0f);
      for (int j = 0; j < n_k; ++j) {
        for (int c = 0; c < d; ++c) keys_t[c * stride + j] = k[j * d + c];
      }
      const auto expected =
          NaiveAttention(q, k, v, 1, n_k, heads, head_dim,
                         std::vector<bool>(n_k, true), false, 0);
      std::vector<float> out(d);
      SingleQueryAttention(q.data(), keys_t.data(), stride, v.data(), d, n_k,
                           heads, head_dim, 1.0f / std::sqrt(head_dim),
                           out.data());
      for (int i = 0; i < d; ++i) {
        EXPECT_NEAR(out[i], expected[i], 1e-5)
            << "head_dim " << head_dim << " n_k " << n_k;
      }
    }
  }
}

// T5's relative biases: bias[h][center + (key - query)] joins the scores.
TEST(AttentionTest, RelativeBiasJoinsTheScores) {
  const int heads = 2, head_dim = 16, d = heads * head_dim, span = 40;
  const auto bias_values = Random(heads * (2 * span - 1), 30, 3.0f);
  const RelativeBias bias{bias_values.data(), 2 * span - 1, span - 1};
  for (const int n : {1, 5, 33}) {
    const auto q = Random(n * d, 31), k = Random(n * d, 32),
               v = Random(n * d, 33);
    const auto expected =
        NaiveAttention(q, k, v, n, n, heads, head_dim,
                       std::vector<bool>(n, true), false, 0, bias, 1.0);
    std::vector<float> out(n * d);
    MultiHeadAttention(q.data(), d, k.data(), d, v.data(), d, n, n, heads,
                       head_dim, 1.0f, false, 0, out.data(), d, bias);
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_NEAR(out[i], expected[i], 1e-5) << "n " << n;
    }
    // The decoder's newest query (position n - 1) over its n keys.
    const int stride = KeyStride(n);
    std::vector<float> keys_t(static_cast<size_t>(d) * stride, 0.0f);
    for (int j = 0; j < n; ++j) {
      for (int c = 0; c < d; ++c) keys_t[c * stride + j] = k[j * d + c];
    }
    std::vector<float> last(d);
    SingleQueryAttention(q.data() + (n - 1) * d, keys_t.data(), stride,
                         v.data(), d, n, heads, head_dim, 1.0f, last.data(),
                         bias);
    for (int i = 0; i < d; ++i) {
      EXPECT_NEAR(last[i], expected[(n - 1) * d + i], 1e-5) << "n " << n;
    }
  }
}

TEST(RmsNormTest, MatchesDoublePrecisionDefinition) {
  const int rows = 3, dim = 48;
  const auto x = Random(rows * dim, 40, 2.0f);
  const auto gamma = Random(dim, 41);
  std::vector<float> out(rows * dim);
  RmsNorm(x.data(), rows, dim, gamma.data(), 1e-6f, out.data());
  for (int r = 0; r < rows; ++r) {
    double sq = 0;
    for (int i = 0; i < dim; ++i) sq += double{x[r * dim + i]} * x[r * dim + i];
    const double inv = 1.0 / std::sqrt(sq / dim + 1e-6);
    for (int i = 0; i < dim; ++i) {
      EXPECT_NEAR(out[r * dim + i], x[r * dim + i] * inv * gamma[i], 1e-5);
    }
  }
}

TEST(GatedActivationTest, PacksActOfGateTimesInput) {
  const int rows = 4, width = 20;
  const auto x = Random(rows * 2 * width, 42, 2.0f);
  std::vector<float> packed(rows * width);
  GatedActivation(Activation::kGeluNew, x.data(), rows, width, packed.data());
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < width; ++j) {
      const double g = x[r * 2 * width + j];
      const double in = x[r * 2 * width + width + j];
      const double gelu =
          0.5 * g *
          (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g)));
      EXPECT_NEAR(packed[r * width + j], gelu * in, 1e-5);
    }
  }
}

TEST(LogSumExpTest, MatchesDoublePrecisionAndIgnoresMaskedEntries) {
  std::vector<float> x = Random(1000, 23, 4.0f);
  x[3] = -INFINITY;
  double sum = 0;
  for (float v : x) sum += std::exp(static_cast<double>(v));
  EXPECT_NEAR(LogSumExp(x.data(), 1000), std::log(sum), 1e-5);
}

}  // namespace
}  // namespace glossa::model
