#ifndef GLOSSA_MODEL_OPS_H_
#define GLOSSA_MODEL_OPS_H_

#include <cstddef>
#include <vector>

#include "model/kernels/compute_type.h"

// Stateless kernels over row-major float buffers. GEMMs are not here: they
// go through the Backend seam (model/kernels/backend.h).
namespace glossa::model {

// In place: relu, swish (x * sigmoid(x)), gelu (erf), gelu_new (tanh).
void ApplyActivation(Activation activation, float* x, size_t n);

// A gated feed-forward's inner step: each of `rows` rows of x holds
// [gate (width), in (width)]; row r of out (width values, not overlapping
// x) becomes act(gate) * in (T5's gated-gelu).
void GatedActivation(Activation activation, const float* x, int rows, int width,
                     float* out);

// out[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta; out may be x.
void LayerNorm(const float* x, int rows, int dim, const float* gamma,
               const float* beta, float eps, float* out);

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * gamma: T5's LayerNorm (no
// mean, no bias); out may be x.
void RmsNorm(const float* x, int rows, int dim, const float* gamma, float eps,
             float* out);

// out = x + residual, then LayerNorm, in place on x.
void AddAndLayerNorm(float* x, const float* residual, int rows, int dim,
                     const float* gamma, const float* beta, float eps);

void SoftmaxInPlace(float* x, int n);
// log(sum(exp(x))), stable; -inf entries contribute nothing.
float LogSumExp(const float* x, int n);
// log_softmax over n values; returns the log of the partition function so
// callers can turn one logit into a log-probability without a full pass.
float LogSoftmax(const float* x, int n, float* out);

// out[i] = table[ids[i]] * scale, rows of `dim` values.
void EmbeddingLookup(const float* table, int dim, const int* ids, int count,
                     float scale, float* out);

// Sinusoidal positions as Marian/Hugging Face lay them out: the first half
// of the dimensions holds sin(pos / 10000^(2j/dim)), the second half the
// matching cos (not interleaved). Returns [num_positions, dim].
std::vector<float> SinusoidalPositionTable(int num_positions, int dim);

// A bias added to the score of query position i against key position j
// by head h: values[h * head_stride + center + (j - i)] (T5's relative
// position buckets, looked up once per model). Empty: no bias.
struct RelativeBias {
  const float* values = nullptr;
  int head_stride = 0;
  int center = 0;
};

// Multi-head scaled dot-product attention for one sequence.
// q: n_q rows (row stride q_stride), k and v: n_k rows (strides k_stride,
// v_stride); head h uses columns [h*head_dim, (h+1)*head_dim). Padding is
// expressed by n_k: keys past it are never read. With `causal`, query i
// attends to keys j <= i + causal_offset. out: n_q rows of
// num_heads*head_dim values (stride out_stride).
void MultiHeadAttention(const float* q, int q_stride, const float* k,
                        int k_stride, const float* v, int v_stride, int n_q,
                        int n_k, int num_heads, int head_dim, float scale,
                        bool causal, int causal_offset, float* out,
                        int out_stride, const RelativeBias& bias = {});

// Attention of one query per head (a decoder step) over n_k positions whose
// keys are stored transposed: key dimension c of position j is at
// keys_t[c * k_stride + j]; values row j at values[j * v_stride]. Writes
// num_heads*head_dim values to out. Each key row must be readable up to n_k
// rounded up to 16 (KeyStride below). A bias treats the query as position
// n_k - 1 (the newest token of a decoder's sequence). `mean_weights`, when
// given, receives the attention weights of the n_k positions averaged over
// the heads (word alignment).
void SingleQueryAttention(const float* q, const float* keys_t, int k_stride,
                          const float* values, int v_stride, int n_k,
                          int num_heads, int head_dim, float scale, float* out,
                          const RelativeBias& bias = {},
                          float* mean_weights = nullptr);

// A key row length that SingleQueryAttention may read in full.
inline int KeyStride(int positions) { return (positions + 15) / 16 * 16; }

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_OPS_H_
