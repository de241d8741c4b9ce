#include "model/kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

// The hottest loops get an AVX-512 clone picked at load time (ifunc) on CPUs
// that have it; the default clone is the x86-64-v3 build.
#define GLOSSA_MULTIVERSION \
  __attribute__((target_clones("arch=x86-64-v4", "default")))

namespace glossa::model {
namespace {

// exp(x) to ~2 ulp in plain arithmetic that the compiler vectorises (libm's
// expf is a call per element). Inputs are clamped to [-87, 88]: -inf (a
// masked score) gives ~1e-38, negligible in any sum of probabilities.
inline float FastExp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  // n = round(x / ln 2) by the 1.5 * 2^23 trick, which vectorises.
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f - n * -2.12194440e-4f;  // x - n ln 2
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}

float MaxOf(const float* x, int n) {
  float max_value = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : max_value)
  for (int i = 0; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  return max_value;
}

// x[i] = exp(x[i] - max(x)) in place; returns the sum (the softmax
// normaliser), leaving the division to the caller.
float ExpShiftedSum(float* x, int n) {
  const float max_value = MaxOf(x, n);
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; ++i) {
    x[i] = FastExp(x[i] - max_value);
    sum += x[i];
  }
  return sum;
}

}  // namespace

GLOSSA_MULTIVERSION float LogSumExp(const float* x, int n) {
  const float max_value = MaxOf(x, n);
  if (std::isinf(max_value)) return max_value;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; ++i) sum += FastExp(x[i] - max_value);
  return max_value + std::log(sum);
}

namespace {

// erf(x) to within 3e-7 (Abramowitz & Stegun 7.1.26 with FastExp), in
// arithmetic the compiler vectorises; libm's erff is a call per element.
inline float FastErf(float x) {
  const float a = std::abs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * FastExp(-a * a);
  return std::copysign(y, x);
}

// tanh(u) = 1 - 2 / (exp(2u) + 1), through FastExp.
inline float FastTanh(float u) {
  return 1.0f - 2.0f / (FastExp(2.0f * u) + 1.0f);
}

}  // namespace

// The int8 path applies activations after its dequantization pass (the
// float path fuses them into oneDNN's matmul), so these loops run over
// every FFN output: they vectorise, and stay within 1e-6 of libm's.
GLOSSA_MULTIVERSION void ApplyActivation(Activation activation, float* x,
                                         size_t n) {
  switch (activation) {
    case Activation::kRelu:
#pragma omp simd
      for (size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
      break;
    case Activation::kSwish:
#pragma omp simd
      for (size_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + FastExp(-x[i]));
      break;
    case Activation::kGelu:
#pragma omp simd
      for (size_t i = 0; i < n; ++i) {
        x[i] = 0.5f * x[i] * (1.0f + FastErf(x[i] * 0.70710678118654752f));
      }
      break;
    case Activation::kGeluNew:
#pragma omp simd
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v *
               (1.0f +
                FastTanh(0.79788456080286536f * (v + 0.044715f * v * v * v)));
      }
      break;
  }
}

namespace {

// act(gate) * in for one row. gelu_new, the activation of every gated
// checkpoint served (T5 v1.1, flan-T5, mT5), gets a loop the compiler
// vectorises: tanh(u) = 1 - 2 / (exp(2u) + 1) through FastExp (within 1e-6
// of std::tanh), instead of a libm call per element.
GLOSSA_MULTIVERSION void GatedRow(Activation activation, const float* gate,
                                  const float* in, int width, float* out) {
  if (activation != Activation::kGeluNew) {
    std::vector<float> act(gate, gate + width);
    ApplyActivation(activation, act.data(), act.size());
    for (int j = 0; j < width; ++j) out[j] = act[j] * in[j];
    return;
  }
#pragma omp simd
  for (int j = 0; j < width; ++j) {
    const float g = gate[j];
    const float u = 0.79788456080286536f * (g + 0.044715f * g * g * g);
    out[j] = 0.5f * g * (1.0f + FastTanh(u)) * in[j];
  }
}

}  // namespace

void GatedActivation(Activation activation, const float* x, int rows, int width,
                     float* out) {
#pragma omp parallel for schedule(static) if (rows >= 8)
  for (int r = 0; r < rows; ++r) {
    const float* gate = x + static_cast<size_t>(r) * 2 * width;
    GatedRow(activation, gate, gate + width, width,
             out + static_cast<size_t>(r) * width);
  }
}

void LayerNorm(const float* x, int rows, int dim, const float* gamma,
               const float* beta, float eps, float* out) {
  for (int r = 0; r < rows; ++r) {
    const float* in = x + static_cast<size_t>(r) * dim;
    float* o = out + static_cast<size_t>(r) * dim;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < dim; ++i) sum += in[i];
    const float mean = sum / dim;
    float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
    for (int i = 0; i < dim; ++i) {
      const float d = in[i] - mean;
      sq += d * d;
    }
    const float inv = 1.0f / std::sqrt(sq / dim + eps);
    for (int i = 0; i < dim; ++i)
      o[i] = (in[i] - mean) * inv * gamma[i] + beta[i];
  }
}

void RmsNorm(const float* x, int rows, int dim, const float* gamma, float eps,
             float* out) {
  for (int r = 0; r < rows; ++r) {
    const float* in = x + static_cast<size_t>(r) * dim;
    float* o = out + static_cast<size_t>(r) * dim;
    float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
    for (int i = 0; i < dim; ++i) sq += in[i] * in[i];
    const float inv = 1.0f / std::sqrt(sq / dim + eps);
    for (int i = 0; i < dim; ++i) o[i] = in[i] * inv * gamma[i];
  }
}

void AddAndLayerNorm(float* x, const float* residual, int rows, int dim,
                     const float* gamma, const float* beta, float eps) {
  const size_t n = static_cast<size_t>(rows) * dim;
  for (size_t i = 0; i < n; ++i) x[i] += residual[i];
  LayerNorm(x, rows, dim, gamma, beta, eps, x);
}

void SoftmaxInPlace(float* x, int n) {
  const float inv = 1.0f / ExpShiftedSum(x, n);
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

float LogSoftmax(const float* x, int n, float* out) {
  const float log_z = LogSumExp(x, n);
  if (out != nullptr) {
    for (int i = 0; i < n; ++i) out[i] = x[i] - log_z;
  }
  return log_z;
}

void EmbeddingLookup(const float* table, int dim, const int* ids, int count,
                     float scale, float* out) {
  for (int i = 0; i < count; ++i) {
    const float* row = table + static_cast<size_t>(ids[i]) * dim;
    float* o = out + static_cast<size_t>(i) * dim;
    for (int j = 0; j < dim; ++j) o[j] = row[j] * scale;
  }
}

std::vector<float> SinusoidalPositionTable(int num_positions, int dim) {
  std::vector<float> table(static_cast<size_t>(num_positions) * dim);
  const int half = dim / 2;
  for (int pos = 0; pos < num_positions; ++pos) {
    float* row = &table[static_cast<size_t>(pos) * dim];
    for (int j = 0; j < half; ++j) {
      // Computed in double and rounded once, as the reference does.
      const double angle =
          pos / std::pow(10000.0, 2.0 * j / static_cast<double>(dim));
      row[j] = static_cast<float>(std::sin(angle));
      row[half + j] = static_cast<float>(std::cos(angle));
    }
  }
  return table;
}

GLOSSA_MULTIVERSION void MultiHeadAttention(
    const float* q, int q_stride, const float* k, int k_stride, const float* v,
    int v_stride, int n_q, int n_k, int num_heads, int head_dim, float scale,
    bool causal, int causal_offset, float* out, int out_stride,
    const RelativeBias& bias) {
  thread_local std::vector<float> scores;
  if (static_cast<int>(scores.size()) < n_k) scores.resize(n_k);
  for (int i = 0; i < n_q; ++i) {
    const int limit = causal ? std::min(n_k, i + causal_offset + 1) : n_k;
    for (int h = 0; h < num_heads; ++h) {
      const float* qi = q + static_cast<size_t>(i) * q_stride + h * head_dim;
      for (int j = 0; j < limit; ++j) {
        const float* kj = k + static_cast<size_t>(j) * k_stride + h * head_dim;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int d = 0; d < head_dim; ++d) dot += qi[d] * kj[d];
        scores[j] = dot * scale;
      }
      if (bias.values != nullptr) {
        const float* row = bias.values +
                           static_cast<size_t>(h) * bias.head_stride +
                           bias.center - i;
        for (int j = 0; j < limit; ++j) scores[j] += row[j];
      }
      const float inv = 1.0f / ExpShiftedSum(scores.data(), limit);
      float* oi = out + static_cast<size_t>(i) * out_stride + h * head_dim;
      std::fill(oi, oi + head_dim, 0.0f);
      for (int j = 0; j < limit; ++j) {
        const float p = scores[j] * inv;
        const float* vj = v + static_cast<size_t>(j) * v_stride + h * head_dim;
#pragma omp simd
        for (int d = 0; d < head_dim; ++d) oi[d] += p * vj[d];
      }
    }
  }
}

GLOSSA_MULTIVERSION void SingleQueryAttention(
    const float* q, const float* keys_t, int k_stride, const float* values,
    int v_stride, int n_k, int num_heads, int head_dim, float scale, float* out,
    const RelativeBias& bias, float* mean_weights) {
  // Fixed-size blocks keep the accumulators in vector registers: 16
  // positions at a time for the scores, 16 dimensions at a time for the
  // output. Key rows are readable up to n_k rounded up to 16 (the caller's
  // stride guarantees it); the extra lanes are computed and ignored.
  constexpr int kBlock = 16;
  thread_local std::vector<float> scores;
  const int padded = (n_k + kBlock - 1) / kBlock * kBlock;
  if (static_cast<int>(scores.size()) < padded) scores.resize(padded);
  float* s = scores.data();
  if (mean_weights != nullptr)
    std::fill(mean_weights, mean_weights + n_k, 0.0f);
  for (int h = 0; h < num_heads; ++h) {
    const float* qh = q + h * head_dim;
    const float* kh = keys_t + static_cast<size_t>(h) * head_dim * k_stride;
    for (int j0 = 0; j0 < padded; j0 += kBlock) {
      float acc[kBlock] = {};
      for (int e = 0; e < head_dim; ++e) {
        const float qe = qh[e];
        const float* key_row = kh + static_cast<size_t>(e) * k_stride + j0;
#pragma omp simd
        for (int j = 0; j < kBlock; ++j) acc[j] += qe * key_row[j];
      }
#pragma omp simd
      for (int j = 0; j < kBlock; ++j) s[j0 + j] = acc[j] * scale;
    }
    if (bias.values != nullptr) {
      const float* row = bias.values +
                         static_cast<size_t>(h) * bias.head_stride +
                         bias.center - (n_k - 1);
      for (int j = 0; j < n_k; ++j) s[j] += row[j];
    }
    const float inv = 1.0f / ExpShiftedSum(s, n_k);
    if (mean_weights != nullptr) {
      const float share = inv / static_cast<float>(num_heads);
      for (int j = 0; j < n_k; ++j) mean_weights[j] += s[j] * share;
    }
    float* o = out + h * head_dim;
    if (head_dim % kBlock != 0) {  // unusual head sizes: plain loops
      std::fill(o, o + head_dim, 0.0f);
      for (int j = 0; j < n_k; ++j) {
        const float p = s[j] * inv;
        const float* v =
            values + static_cast<size_t>(j) * v_stride + h * head_dim;
        for (int e = 0; e < head_dim; ++e) o[e] += p * v[e];
      }
      continue;
    }
    for (int e0 = 0; e0 < head_dim; e0 += kBlock) {
      float acc[kBlock] = {};
      for (int j = 0; j < n_k; ++j) {
        const float p = s[j];
        const float* v =
            values + static_cast<size_t>(j) * v_stride + h * head_dim + e0;
#pragma omp simd
        for (int e = 0; e < kBlock; ++e) acc[e] += p * v[e];
      }
#pragma omp simd
      for (int e = 0; e < kBlock; ++e) o[e0 + e] = acc[e] * inv;
    }
  }
}

}  // namespace glossa::model
