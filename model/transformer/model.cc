// Building a Model: named tensors -> packed weights.
#include "model/transformer/model.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/kernels/backend.h"
#include "model/transformer/positions.h"
#include "model/transformer/weights.h"

namespace glossa::model {
namespace {

using Shape = std::vector<int64_t>;

// Builds the packed weights from named tensors.
class WeightBuilder {
 public:
  WeightBuilder(const ModelConfig& config, const CheckpointLayout& layout,
                const TensorSource& tensors, const Backend& backend)
      : config_(config),
        layout_(layout),
        tensors_(tensors),
        backend_(backend) {}

  const CheckpointLayout& layout() const { return layout_; }

  absl::StatusOr<std::vector<float>> Get(const std::string& name,
                                         const Shape& shape) {
    return tensors_(name, shape);
  }

  // First of `names` that exists.
  absl::StatusOr<std::vector<float>> GetAny(
      const std::vector<std::string>& names, const Shape& shape) {
    for (const std::string& name : names) {
      auto tensor = tensors_(name, shape);
      if (!absl::IsNotFound(tensor.status())) return tensor;
    }
    return absl::NotFoundError(
        absl::StrCat("tensor '", names.front(), "' is missing"));
  }

  absl::StatusOr<LayerNormWeights> Norm(const std::string& prefix) {
    const int d = config_.d_model;
    LayerNormWeights norm;
    ASSIGN_OR_RETURN(norm.gamma, Get(prefix + ".weight", {d}));
    if (config_.architecture.norm == NormKind::kLayerNorm) {
      ASSIGN_OR_RETURN(norm.beta, Get(prefix + ".bias", {d}));
    }
    return norm;
  }

  // Loads the weights and biases of `projections` (each [d, in]) and packs
  // them as one layer; the first `scaled_count` are multiplied by `scale`.
  absl::StatusOr<std::unique_ptr<PackedLinear>> Fused(
      const std::vector<std::string>& projections, int in, int out_each,
      int scaled_count, float scale, std::optional<Activation> activation) {
    std::vector<float> weight;
    std::vector<float> bias;
    for (size_t p = 0; p < projections.size(); ++p) {
      ASSIGN_OR_RETURN(std::vector<float> w,
                       Get(projections[p] + ".weight", {out_each, in}));
      std::vector<float> b(out_each, 0.0f);
      if (config_.architecture.linear_biases) {
        ASSIGN_OR_RETURN(b, Get(projections[p] + ".bias", {out_each}));
      }
      if (static_cast<int>(p) < scaled_count) {
        for (float& value : w) value *= scale;
        for (float& value : b) value *= scale;
      }
      weight.insert(weight.end(), w.begin(), w.end());
      bias.insert(bias.end(), b.begin(), b.end());
    }
    const int out = out_each * static_cast<int>(projections.size());
    return backend_.Pack(weight.data(), bias.data(), out, in, activation);
  }

  absl::StatusOr<std::unique_ptr<PackedLinear>> Single(
      const std::string& name, int in, int out,
      std::optional<Activation> activation = std::nullopt) {
    return Fused({name}, in, out, 0, 1.0f, activation);
  }

 private:
  const ModelConfig& config_;
  const CheckpointLayout& layout_;
  const TensorSource& tensors_;
  const Backend& backend_;
};

// The query projection is pre-scaled by 1/sqrt(head_dim) where the family
// scales scores, so attention needs no separate scaling pass.
float QueryScale(const ModelConfig& c, int heads) {
  return c.architecture.scale_attention
             ? 1.0f / std::sqrt(static_cast<float>(c.HeadDim(heads)))
             : 1.0f;
}

absl::StatusOr<std::unique_ptr<PackedLinear>> FusedQkv(
    WeightBuilder& b, const ModelConfig& c, const std::string& attention,
    int heads) {
  const CheckpointLayout& n = b.layout();
  return b.Fused({CheckpointLayout::Join(attention, n.query),
                  CheckpointLayout::Join(attention, n.key),
                  CheckpointLayout::Join(attention, n.value)},
                 c.d_model, c.AttentionDim(heads), 1, QueryScale(c, heads),
                 std::nullopt);
}

// fc1 and fc2 of one layer ("<layer>." + the names); a gated FFN packs
// [gate; in] into fc1 and leaves the activation to the forward pass.
absl::Status BuildFeedForward(WeightBuilder& b, const ModelConfig& c,
                              const FeedForwardNames& names,
                              const std::string& layer, int ffn_dim,
                              std::unique_ptr<PackedLinear>* fc1,
                              std::unique_ptr<PackedLinear>* fc2,
                              LayerNormWeights* norm) {
  const int d = c.d_model;
  if (c.architecture.gated_ffn) {
    ASSIGN_OR_RETURN(*fc1, b.Fused({layer + names.gate, layer + names.in}, d,
                                   ffn_dim, 0, 1.0f, std::nullopt));
  } else {
    ASSIGN_OR_RETURN(*fc1, b.Single(layer + names.in, d, ffn_dim,
                                    c.architecture.activation));
  }
  ASSIGN_OR_RETURN(*fc2, b.Single(layer + names.out, ffn_dim, d));
  ASSIGN_OR_RETURN(*norm, b.Norm(layer + names.norm));
  return absl::OkStatus();
}

absl::Status BuildEncoderLayer(WeightBuilder& b, const ModelConfig& c, int i,
                               EncoderLayerWeights* layer) {
  const CheckpointLayout& n = b.layout();
  const int heads = c.encoder_attention_heads;
  const std::string attention = n.EncoderLayer(i, n.self_attention);
  ASSIGN_OR_RETURN(layer->qkv, FusedQkv(b, c, attention, heads));
  ASSIGN_OR_RETURN(
      layer->attention_out,
      b.Single(CheckpointLayout::Join(attention, n.attention_output),
               c.AttentionDim(heads), c.d_model));
  ASSIGN_OR_RETURN(layer->attention_norm,
                   b.Norm(n.EncoderLayer(i, n.self_attention_norm)));
  return BuildFeedForward(b, c, n.encoder_ffn, n.EncoderLayer(i, ""),
                          c.encoder_ffn_dim, &layer->fc1, &layer->fc2,
                          &layer->ffn_norm);
}

absl::Status BuildDecoderLayer(WeightBuilder& b, const ModelConfig& c, int i,
                               DecoderLayerWeights* layer) {
  const CheckpointLayout& n = b.layout();
  const int d = c.d_model;
  const int heads = c.decoder_attention_heads;
  const int inner = c.AttentionDim(heads);
  const std::string self = n.DecoderLayer(i, n.self_attention);
  const std::string cross = n.DecoderLayer(i, n.cross_attention);
  ASSIGN_OR_RETURN(layer->self_qkv, FusedQkv(b, c, self, heads));
  ASSIGN_OR_RETURN(
      layer->self_out,
      b.Single(CheckpointLayout::Join(self, n.attention_output), inner, d));
  ASSIGN_OR_RETURN(layer->self_norm,
                   b.Norm(n.DecoderLayer(i, n.self_attention_norm)));
  ASSIGN_OR_RETURN(layer->cross_q,
                   b.Fused({CheckpointLayout::Join(cross, n.query)}, d, inner,
                           1, QueryScale(c, heads), std::nullopt));
  ASSIGN_OR_RETURN(
      layer->cross_out,
      b.Single(CheckpointLayout::Join(cross, n.attention_output), inner, d));
  ASSIGN_OR_RETURN(layer->cross_norm,
                   b.Norm(n.DecoderLayer(i, n.cross_attention_norm)));
  return BuildFeedForward(b, c, n.decoder_ffn, n.DecoderLayer(i, ""),
                          c.decoder_ffn_dim, &layer->fc1, &layer->fc2,
                          &layer->ffn_norm);
}

}  // namespace

Model::Model(const ModelConfig& config, ComputeType compute_type)
    : config_(config), compute_type_(compute_type) {}
Model::~Model() = default;

std::string Model::DescribeBackend() const { return backend_->Describe(); }

absl::Status Model::PrepareKernels() const {
  return backend_->PrepareKernels();
}

absl::StatusOr<std::shared_ptr<const Model>> Model::FromTensors(
    const ModelConfig& config, const CheckpointLayout& layout,
    const TensorSource& tensors, const LoadOptions& options) {
  RETURN_IF_ERROR(ValidateModelConfig(config));
  std::shared_ptr<Model> model(new Model(config, options.compute_type));
  if (options.reference_backend) {
    model->backend_ = CreateReferenceBackend(
        options.compute_type == ComputeType::kInt8 ? ComputeType::kInt8
                                                   : ComputeType::kFloat32);
  } else {
    ASSIGN_OR_RETURN(model->backend_, CreateDnnlBackend(options.compute_type,
                                                        options.num_threads));
  }
  auto weights = std::make_unique<Weights>();
  WeightBuilder b(config, layout, tensors, *model->backend_);
  const int d = config.d_model;
  const int vocab = config.vocab_size;

  ASSIGN_OR_RETURN(weights->encoder_embeddings,
                   b.GetAny(layout.encoder_embeddings, {vocab, d}));
  if (!config.share_encoder_decoder_embeddings) {
    ASSIGN_OR_RETURN(weights->decoder_embeddings,
                     b.Get(layout.decoder_embeddings, {vocab, d}));
  }
  ASSIGN_OR_RETURN(weights->positions,
                   BuildPositionTables(config, layout, tensors));
  if (config.architecture.embedding_norm) {
    ASSIGN_OR_RETURN(weights->encoder_embedding_norm,
                     b.Norm(layout.encoder_embedding_norm));
    ASSIGN_OR_RETURN(weights->decoder_embedding_norm,
                     b.Norm(layout.decoder_embedding_norm));
  }

  weights->encoder_layers.resize(config.encoder_layers);
  for (int i = 0; i < config.encoder_layers; ++i) {
    RETURN_IF_ERROR(
        BuildEncoderLayer(b, config, i, &weights->encoder_layers[i]));
  }
  weights->decoder_layers.resize(config.decoder_layers);
  std::vector<std::string> cross_names;
  for (int i = 0; i < config.decoder_layers; ++i) {
    RETURN_IF_ERROR(
        BuildDecoderLayer(b, config, i, &weights->decoder_layers[i]));
    const std::string cross = layout.DecoderLayer(i, layout.cross_attention);
    cross_names.push_back(CheckpointLayout::Join(cross, layout.key));
    cross_names.push_back(CheckpointLayout::Join(cross, layout.value));
  }
  ASSIGN_OR_RETURN(weights->cross_kv,
                   b.Fused(cross_names, d,
                           config.AttentionDim(config.decoder_attention_heads),
                           0, 1.0f, std::nullopt));
  if (config.architecture.final_norms) {
    ASSIGN_OR_RETURN(weights->encoder_final_norm,
                     b.Norm(layout.encoder_final_norm));
    ASSIGN_OR_RETURN(weights->decoder_final_norm,
                     b.Norm(layout.decoder_final_norm));
  }

  // A tied output projection is the decoder embedding table, as
  // transformers ties it (a stored lm_head copy is not read); an untied one
  // must be stored.
  std::vector<float> lm_head;
  if (config.tie_word_embeddings) {
    lm_head = weights->DecoderEmbeddings();
    const float scale = config.architecture.tied_output_scale;
    if (scale != 1.0f) {
      for (float& value : lm_head) value *= scale;
    }
  } else {
    ASSIGN_OR_RETURN(lm_head, b.Get(layout.lm_head, {vocab, d}));
  }
  std::vector<float> final_bias(vocab, 0.0f);
  absl::StatusOr<std::vector<float>> bias =
      layout.final_logits_bias.empty()
          ? absl::NotFoundError("none")
          : b.Get(layout.final_logits_bias, {1, vocab});
  if (bias.ok()) {
    final_bias = *std::move(bias);
  } else if (!absl::IsNotFound(bias.status())) {
    return bias.status();
  }
  ASSIGN_OR_RETURN(weights->lm_head,
                   model->backend_->Pack(lm_head.data(), final_bias.data(),
                                         vocab, d, std::nullopt));
  model->weights_ = std::move(weights);
  return std::shared_ptr<const Model>(std::move(model));
}

}  // namespace glossa::model
