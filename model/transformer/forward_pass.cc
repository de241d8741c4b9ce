// The forward passes: the packed-batch encoder and the one-step decoder.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "model/kernels/backend.h"
#include "model/kernels/ops.h"
#include "model/transformer/model.h"
#include "model/transformer/weights.h"

namespace glossa::model {
namespace {

// Per-thread scratch reused across calls: a decoder step at batch 64 would
// otherwise allocate and zero ~10 MB every step. Every buffer is fully
// written before it is read, so growing without clearing is safe.
struct Scratch {
  std::vector<float> x, normed, output, projected, context, hidden, gated,
      cross;
};

float* Grow(std::vector<float>& buffer, size_t n) {
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// LayerNorm or RMSNorm, as the architecture says; out may be x.
void Normalize(const Architecture& architecture, const LayerNormWeights& norm,
               const float* x, int rows, int d, float* out) {
  if (architecture.norm == NormKind::kRmsNorm) {
    RmsNorm(x, rows, d, norm.gamma.data(), architecture.norm_epsilon, out);
  } else {
    LayerNorm(x, rows, d, norm.gamma.data(), norm.beta.data(),
              architecture.norm_epsilon, out);
  }
}

// Applies a sublayer with its residual connection and norm in the order
// the model uses: post-norm x = N(x + f(x)); pre-norm x = x + f(N(x)).
// `sublayer(in, out)` reads [rows, d] from `in` and writes [rows, d] to out.
template <typename Sublayer>
absl::Status Residual(const Architecture& architecture,
                      const LayerNormWeights& norm, int rows, int d,
                      Scratch& scratch, const Sublayer& sublayer) {
  const size_t n = static_cast<size_t>(rows) * d;
  float* x = scratch.x.data();
  float* output = Grow(scratch.output, n);
  if (architecture.pre_norm) {
    float* normed = Grow(scratch.normed, n);
    Normalize(architecture, norm, x, rows, d, normed);
    RETURN_IF_ERROR(sublayer(normed, output));
    for (size_t i = 0; i < n; ++i) x[i] += output[i];
  } else if (architecture.norm == NormKind::kRmsNorm) {
    RETURN_IF_ERROR(sublayer(x, output));
    for (size_t i = 0; i < n; ++i) x[i] += output[i];
    Normalize(architecture, norm, x, rows, d, x);
  } else {
    RETURN_IF_ERROR(sublayer(x, output));
    AddAndLayerNorm(x, output, rows, d, norm.gamma.data(), norm.beta.data(),
                    architecture.norm_epsilon);
  }
  return absl::OkStatus();
}

// fc2(act(fc1(in))), or for a gated FFN fc2(act(gate(in)) * in_proj(in))
// with fc1 = [gate; in_proj]. `hidden` holds rows * ffn_dim (twice that
// when gated).
absl::Status FeedForward(const Backend& backend, const Architecture& a,
                         const PackedLinear& fc1, const PackedLinear& fc2,
                         const float* in, int rows, int ffn_dim, float* hidden,
                         Scratch& scratch, float* out) {
  RETURN_IF_ERROR(backend.Linear(fc1, in, rows, hidden));
  if (!a.gated_ffn) return backend.Linear(fc2, hidden, rows, out);
  float* gated = Grow(scratch.gated, static_cast<size_t>(rows) * ffn_dim);
  GatedActivation(a.activation, hidden, rows, ffn_dim, gated);
  return backend.Linear(fc2, gated, rows, out);
}

}  // namespace

absl::StatusOr<std::vector<EncodedSource>> Model::Encode(
    const std::vector<const std::vector<int>*>& sources,
    bool keep_hidden) const {
  const ModelConfig& c = config_;
  const Weights& w = *weights_;
  const int d = c.d_model;
  const int heads = c.encoder_attention_heads;
  const int head_dim = c.HeadDim(heads);
  const int inner = c.AttentionDim(heads);
  const int num_sources = static_cast<int>(sources.size());
  std::vector<int> offsets;
  int total = 0;
  for (const std::vector<int>* source : sources) {
    if (source->empty() ||
        static_cast<int>(source->size()) > c.max_position_embeddings) {
      return absl::InvalidArgumentError(
          absl::StrCat("source length must be in [1, ",
                       c.max_position_embeddings, "], got ", source->size()));
    }
    for (int id : *source) {
      if (id < 0 || id >= c.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "source token id ", id, " is outside [0, ", c.vocab_size, ")"));
      }
    }
    offsets.push_back(total);
    total += static_cast<int>(source->size());
  }

  thread_local Scratch scratch;
  float* x = Grow(scratch.x, static_cast<size_t>(total) * d);
  for (int s = 0; s < num_sources; ++s) {
    const std::vector<int>& ids = *sources[s];
    float* rows = x + static_cast<size_t>(offsets[s]) * d;
    EmbeddingLookup(w.encoder_embeddings.data(), d, ids.data(),
                    static_cast<int>(ids.size()),
                    c.architecture.embedding_scale, rows);
    if (!w.positions.encoder.empty()) {
      for (size_t t = 0; t < ids.size(); ++t) {
        const float* pos = &w.positions.encoder[t * d];
        for (int j = 0; j < d; ++j) rows[t * d + j] += pos[j];
      }
    }
  }
  if (c.architecture.embedding_norm) {
    Normalize(c.architecture, w.encoder_embedding_norm, x, total, d, x);
  }
  // T5: the first layer's relative biases, shared by every layer.
  RelativeBias bias;
  if (!w.positions.encoder_relative.empty()) {
    bias = {w.positions.encoder_relative.data(), 2 * w.positions.span - 1,
            w.positions.span - 1};
  }

  float* qkv = Grow(scratch.projected, static_cast<size_t>(total) * 3 * inner);
  float* context = Grow(scratch.context, static_cast<size_t>(total) * inner);
  const int ffn_width = c.encoder_ffn_dim * (c.architecture.gated_ffn ? 2 : 1);
  float* hidden = Grow(scratch.hidden, static_cast<size_t>(total) * ffn_width);
  for (const EncoderLayerWeights& layer : w.encoder_layers) {
    const auto self_attention = [&](const float* in,
                                    float* out) -> absl::Status {
      RETURN_IF_ERROR(backend_->Linear(*layer.qkv, in, total, qkv));
#pragma omp parallel for schedule(dynamic) if (num_sources > 1)
      for (int s = 0; s < num_sources; ++s) {
        const int len = static_cast<int>(sources[s]->size());
        const float* base = qkv + static_cast<size_t>(offsets[s]) * 3 * inner;
        MultiHeadAttention(
            base, 3 * inner, base + inner, 3 * inner, base + 2 * inner,
            3 * inner, len, len, heads, head_dim, 1.0f, /*causal=*/false, 0,
            context + static_cast<size_t>(offsets[s]) * inner, inner, bias);
      }
      return backend_->Linear(*layer.attention_out, context, total, out);
    };
    const auto feed_forward = [&](const float* in, float* out) -> absl::Status {
      return FeedForward(*backend_, c.architecture, *layer.fc1, *layer.fc2, in,
                         total, c.encoder_ffn_dim, hidden, scratch, out);
    };
    RETURN_IF_ERROR(Residual(c.architecture, layer.attention_norm, total, d,
                             scratch, self_attention));
    RETURN_IF_ERROR(Residual(c.architecture, layer.ffn_norm, total, d, scratch,
                             feed_forward));
  }
  if (c.architecture.final_norms) {
    Normalize(c.architecture, w.encoder_final_norm, x, total, d, x);
  }

  const int layers = c.decoder_layers;
  // Cross-attention K/V width of one decoder layer.
  const int kv = c.AttentionDim(c.decoder_attention_heads);
  const int kv_width = 2 * kv * layers;
  float* cross = Grow(scratch.cross, static_cast<size_t>(total) * kv_width);
  RETURN_IF_ERROR(backend_->Linear(*w.cross_kv, x, total, cross));
  std::vector<EncodedSource> encoded(num_sources);
  for (int s = 0; s < num_sources; ++s) {
    const int len = static_cast<int>(sources[s]->size());
    EncodedSource& source = encoded[s];
    source.length = len;
    const int stride = KeyStride(len);
    source.key_stride = stride;
    source.cross_keys.assign(static_cast<size_t>(layers) * kv * stride, 0.0f);
    source.cross_values.resize(static_cast<size_t>(layers) * len * kv);
    for (int t = 0; t < len; ++t) {
      const float* row = &cross[static_cast<size_t>(offsets[s] + t) * kv_width];
      for (int l = 0; l < layers; ++l) {
        const float* k = row + 2 * l * kv;
        float* keys_t =
            &source.cross_keys[static_cast<size_t>(l) * kv * stride];
        for (int j = 0; j < kv; ++j) {
          keys_t[static_cast<size_t>(j) * stride + t] = k[j];
        }
        std::memcpy(
            &source.cross_values[(static_cast<size_t>(l) * len + t) * kv],
            k + kv, sizeof(float) * kv);
      }
    }
    if (keep_hidden) {
      const float* h = x + static_cast<size_t>(offsets[s]) * d;
      source.hidden.assign(h, h + static_cast<size_t>(len) * d);
    }
  }
  return encoded;
}

absl::Status Model::DecodeStep(const std::vector<DecoderRow>& rows,
                               float* logits) const {
  const ModelConfig& c = config_;
  const Weights& w = *weights_;
  const int d = c.d_model;
  const int heads = c.decoder_attention_heads;
  const int head_dim = c.HeadDim(heads);
  const int inner = c.AttentionDim(heads);
  const int num_rows = static_cast<int>(rows.size());
  const int layers = c.decoder_layers;
  if (num_rows == 0) return absl::OkStatus();

  thread_local Scratch scratch;
  float* x = Grow(scratch.x, static_cast<size_t>(num_rows) * d);
  const std::vector<float>& table = w.DecoderEmbeddings();
  for (int r = 0; r < num_rows; ++r) {
    const DecoderRow& row = rows[r];
    CHECK(row.cache != nullptr && row.source != nullptr);
    if (row.token < 0 || row.token >= c.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("decoder token id ", row.token, " is outside [0, ",
                       c.vocab_size, ")"));
    }
    if (row.cache->length >= c.max_position_embeddings) {
      return absl::InvalidArgumentError(absl::StrCat(
          "decoder position ", row.cache->length,
          " exceeds max_position_embeddings ", c.max_position_embeddings));
    }
    float* xr = x + static_cast<size_t>(r) * d;
    EmbeddingLookup(table.data(), d, &row.token, 1,
                    c.architecture.embedding_scale, xr);
    if (!w.positions.Decoder().empty()) {
      const float* pos =
          &w.positions.Decoder()[static_cast<size_t>(row.cache->length) * d];
      for (int j = 0; j < d; ++j) xr[j] += pos[j];
    }
    row.cache->Reserve(row.cache->length + 1, layers, inner);
  }
  if (c.architecture.embedding_norm) {
    Normalize(c.architecture, w.decoder_embedding_norm, x, num_rows, d, x);
  }
  RelativeBias bias;
  if (!w.positions.decoder_relative.empty()) {
    bias = {w.positions.decoder_relative.data(), w.positions.span,
            w.positions.span - 1};
  }

  float* projected =
      Grow(scratch.projected, static_cast<size_t>(num_rows) * 3 * inner);
  float* context = Grow(scratch.context, static_cast<size_t>(num_rows) * inner);
  const int ffn_width = c.decoder_ffn_dim * (c.architecture.gated_ffn ? 2 : 1);
  float* hidden =
      Grow(scratch.hidden, static_cast<size_t>(num_rows) * ffn_width);
  for (int l = 0; l < layers; ++l) {
    const DecoderLayerWeights& layer = w.decoder_layers[l];
    // Each row appends its K/V for this step to its own cache, then attends
    // over everything it has cached (the causal mask is implicit).
    const auto self_attention = [&](const float* in,
                                    float* out) -> absl::Status {
      RETURN_IF_ERROR(
          backend_->Linear(*layer.self_qkv, in, num_rows, projected));
#pragma omp parallel for schedule(static) if (num_rows >= 8)
      for (int r = 0; r < num_rows; ++r) {
        DecoderCache& cache = *rows[r].cache;
        const int t = cache.length;
        const int cap = cache.capacity;
        const float* qkv = projected + static_cast<size_t>(r) * 3 * inner;
        float* keys_t = &cache.keys[static_cast<size_t>(l) * inner * cap];
        float* values = &cache.values[static_cast<size_t>(l) * cap * inner];
        for (int j = 0; j < inner; ++j)
          keys_t[static_cast<size_t>(j) * cap + t] = qkv[inner + j];
        std::memcpy(values + static_cast<size_t>(t) * inner, qkv + 2 * inner,
                    sizeof(float) * inner);
        SingleQueryAttention(qkv, keys_t, cap, values, inner, t + 1, heads,
                             head_dim, 1.0f,
                             context + static_cast<size_t>(r) * inner, bias);
      }
      return backend_->Linear(*layer.self_out, context, num_rows, out);
    };
    const auto cross_attention = [&](const float* in,
                                     float* out) -> absl::Status {
      RETURN_IF_ERROR(
          backend_->Linear(*layer.cross_q, in, num_rows, projected));
#pragma omp parallel for schedule(static) if (num_rows >= 8)
      for (int r = 0; r < num_rows; ++r) {
        const EncodedSource& source = *rows[r].source;
        const int len = source.length;
        SingleQueryAttention(
            projected + static_cast<size_t>(r) * inner,
            &source.cross_keys[static_cast<size_t>(l) * inner *
                               source.key_stride],
            source.key_stride,
            &source.cross_values[static_cast<size_t>(l) * len * inner], inner,
            len, heads, head_dim, 1.0f,
            context + static_cast<size_t>(r) * inner, RelativeBias(),
            rows[r].attention_layer == l ? rows[r].attention : nullptr);
      }
      return backend_->Linear(*layer.cross_out, context, num_rows, out);
    };
    const auto feed_forward = [&](const float* in, float* out) -> absl::Status {
      return FeedForward(*backend_, c.architecture, *layer.fc1, *layer.fc2, in,
                         num_rows, c.decoder_ffn_dim, hidden, scratch, out);
    };
    RETURN_IF_ERROR(Residual(c.architecture, layer.self_norm, num_rows, d,
                             scratch, self_attention));
    RETURN_IF_ERROR(Residual(c.architecture, layer.cross_norm, num_rows, d,
                             scratch, cross_attention));
    RETURN_IF_ERROR(Residual(c.architecture, layer.ffn_norm, num_rows, d,
                             scratch, feed_forward));
  }
  if (c.architecture.final_norms) {
    Normalize(c.architecture, w.decoder_final_norm, x, num_rows, d, x);
  }
  for (const DecoderRow& row : rows) ++row.cache->length;
  return backend_->Linear(*w.lm_head, x, num_rows, logits);
}

}  // namespace glossa::model
