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
  std::vector<float> x, normed, output, projected, context, hidden, cross;
};

float* Grow(std::vector<float>& buffer, size_t n) {
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// Applies a sublayer with its residual connection and LayerNorm in the order
// the model uses: post-norm x = LN(x + f(x)); pre-norm x = x + f(LN(x)).
// `sublayer(in, out)` reads [rows, d] from `in` and writes [rows, d] to out.
template <typename Sublayer>
absl::Status Residual(const Architecture& architecture,
                      const LayerNormWeights& norm, int rows, int d,
                      Scratch& scratch, const Sublayer& sublayer) {
  const float eps = architecture.norm_epsilon;
  const size_t n = static_cast<size_t>(rows) * d;
  float* x = scratch.x.data();
  float* output = Grow(scratch.output, n);
  if (architecture.pre_norm) {
    float* normed = Grow(scratch.normed, n);
    LayerNorm(x, rows, d, norm.gamma.data(), norm.beta.data(), eps, normed);
    RETURN_IF_ERROR(sublayer(normed, output));
    for (size_t i = 0; i < n; ++i) x[i] += output[i];
  } else {
    RETURN_IF_ERROR(sublayer(x, output));
    AddAndLayerNorm(x, output, rows, d, norm.gamma.data(), norm.beta.data(),
                    eps);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<EncodedSource>> Model::Encode(
    const std::vector<const std::vector<int>*>& sources,
    bool keep_hidden) const {
  const ModelConfig& c = config_;
  const Weights& w = *weights_;
  const int d = c.d_model;
  const int heads = c.encoder_attention_heads;
  const int head_dim = d / heads;
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
    for (size_t t = 0; t < ids.size(); ++t) {
      const float* pos = &w.positions.encoder[t * d];
      for (int j = 0; j < d; ++j) rows[t * d + j] += pos[j];
    }
  }
  if (c.architecture.embedding_norm) {
    LayerNorm(x, total, d, w.encoder_embedding_norm.gamma.data(),
              w.encoder_embedding_norm.beta.data(), c.architecture.norm_epsilon,
              x);
  }

  float* qkv = Grow(scratch.projected, static_cast<size_t>(total) * 3 * d);
  float* context = Grow(scratch.context, static_cast<size_t>(total) * d);
  float* hidden =
      Grow(scratch.hidden, static_cast<size_t>(total) * c.encoder_ffn_dim);
  for (const EncoderLayerWeights& layer : w.encoder_layers) {
    const auto self_attention = [&](const float* in,
                                    float* out) -> absl::Status {
      RETURN_IF_ERROR(backend_->Linear(*layer.qkv, in, total, qkv));
#pragma omp parallel for schedule(dynamic) if (num_sources > 1)
      for (int s = 0; s < num_sources; ++s) {
        const int len = static_cast<int>(sources[s]->size());
        const float* base = qkv + static_cast<size_t>(offsets[s]) * 3 * d;
        MultiHeadAttention(base, 3 * d, base + d, 3 * d, base + 2 * d, 3 * d,
                           len, len, heads, head_dim, 1.0f, /*causal=*/false, 0,
                           context + static_cast<size_t>(offsets[s]) * d, d);
      }
      return backend_->Linear(*layer.attention_out, context, total, out);
    };
    const auto feed_forward = [&](const float* in, float* out) -> absl::Status {
      RETURN_IF_ERROR(backend_->Linear(*layer.fc1, in, total, hidden));
      return backend_->Linear(*layer.fc2, hidden, total, out);
    };
    RETURN_IF_ERROR(Residual(c.architecture, layer.attention_norm, total, d,
                             scratch, self_attention));
    RETURN_IF_ERROR(Residual(c.architecture, layer.ffn_norm, total, d, scratch,
                             feed_forward));
  }
  if (c.architecture.final_norms) {
    LayerNorm(x, total, d, w.encoder_final_norm.gamma.data(),
              w.encoder_final_norm.beta.data(), c.architecture.norm_epsilon, x);
  }

  const int layers = c.decoder_layers;
  const int kv_width = 2 * d * layers;
  float* cross = Grow(scratch.cross, static_cast<size_t>(total) * kv_width);
  RETURN_IF_ERROR(backend_->Linear(*w.cross_kv, x, total, cross));
  std::vector<EncodedSource> encoded(num_sources);
  for (int s = 0; s < num_sources; ++s) {
    const int len = static_cast<int>(sources[s]->size());
    EncodedSource& source = encoded[s];
    source.length = len;
    const int stride = KeyStride(len);
    source.key_stride = stride;
    source.cross_keys.assign(static_cast<size_t>(layers) * d * stride, 0.0f);
    source.cross_values.resize(static_cast<size_t>(layers) * len * d);
    for (int t = 0; t < len; ++t) {
      const float* row = &cross[static_cast<size_t>(offsets[s] + t) * kv_width];
      for (int l = 0; l < layers; ++l) {
        const float* k = row + 2 * l * d;
        float* keys_t = &source.cross_keys[static_cast<size_t>(l) * d * stride];
        for (int j = 0; j < d; ++j) {
          keys_t[static_cast<size_t>(j) * stride + t] = k[j];
        }
        std::memcpy(
            &source.cross_values[(static_cast<size_t>(l) * len + t) * d], k + d,
            sizeof(float) * d);
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
  const int head_dim = d / heads;
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
    const float* pos =
        &w.positions.Decoder()[static_cast<size_t>(row.cache->length) * d];
    for (int j = 0; j < d; ++j) xr[j] += pos[j];
    row.cache->Reserve(row.cache->length + 1, layers, d);
  }
  if (c.architecture.embedding_norm) {
    LayerNorm(x, num_rows, d, w.decoder_embedding_norm.gamma.data(),
              w.decoder_embedding_norm.beta.data(), c.architecture.norm_epsilon,
              x);
  }

  float* projected =
      Grow(scratch.projected, static_cast<size_t>(num_rows) * 3 * d);
  float* context = Grow(scratch.context, static_cast<size_t>(num_rows) * d);
  float* hidden =
      Grow(scratch.hidden, static_cast<size_t>(num_rows) * c.decoder_ffn_dim);
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
        const float* qkv = projected + static_cast<size_t>(r) * 3 * d;
        float* keys_t = &cache.keys[static_cast<size_t>(l) * d * cap];
        float* values = &cache.values[static_cast<size_t>(l) * cap * d];
        for (int j = 0; j < d; ++j)
          keys_t[static_cast<size_t>(j) * cap + t] = qkv[d + j];
        std::memcpy(values + static_cast<size_t>(t) * d, qkv + 2 * d,
                    sizeof(float) * d);
        SingleQueryAttention(qkv, keys_t, cap, values, d, t + 1, heads,
                             head_dim, 1.0f,
                             context + static_cast<size_t>(r) * d);
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
            projected + static_cast<size_t>(r) * d,
            &source.cross_keys[static_cast<size_t>(l) * d * source.key_stride],
            source.key_stride,
            &source.cross_values[static_cast<size_t>(l) * len * d], d, len,
            heads, head_dim, 1.0f, context + static_cast<size_t>(r) * d);
      }
      return backend_->Linear(*layer.cross_out, context, num_rows, out);
    };
    const auto feed_forward = [&](const float* in, float* out) -> absl::Status {
      RETURN_IF_ERROR(backend_->Linear(*layer.fc1, in, num_rows, hidden));
      return backend_->Linear(*layer.fc2, hidden, num_rows, out);
    };
    RETURN_IF_ERROR(Residual(c.architecture, layer.self_norm, num_rows, d,
                             scratch, self_attention));
    RETURN_IF_ERROR(Residual(c.architecture, layer.cross_norm, num_rows, d,
                             scratch, cross_attention));
    RETURN_IF_ERROR(Residual(c.architecture, layer.ffn_norm, num_rows, d,
                             scratch, feed_forward));
  }
  if (c.architecture.final_norms) {
    LayerNorm(x, num_rows, d, w.decoder_final_norm.gamma.data(),
              w.decoder_final_norm.beta.data(), c.architecture.norm_epsilon, x);
  }
  for (const DecoderRow& row : rows) ++row.cache->length;
  return backend_->Linear(*w.lm_head, x, num_rows, logits);
}

}  // namespace glossa::model
