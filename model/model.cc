// Loading: config.json + model.safetensors -> packed weights.
#include "model/model.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "model/file_util.h"
#include "model/model_weights.h"
#include "model/ops.h"
#include "model/safetensors_reader.h"
#include "model/status_macros.h"

namespace glossa::model {
namespace {

using Shape = std::vector<int64_t>;

// Builds the packed weights from named tensors.
class WeightBuilder {
 public:
  WeightBuilder(const ModelConfig& config, const TensorSource& tensors,
                const Backend& backend)
      : config_(config), tensors_(tensors), backend_(backend) {}

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
    ASSIGN_OR_RETURN(norm.beta, Get(prefix + ".bias", {d}));
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
      ASSIGN_OR_RETURN(std::vector<float> b,
                       Get(projections[p] + ".bias", {out_each}));
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
  const TensorSource& tensors_;
  const Backend& backend_;
};

absl::Status BuildEncoderLayer(WeightBuilder& b, const ModelConfig& c, int i,
                               EncoderLayerWeights* layer) {
  const std::string p = absl::StrCat("model.encoder.layers.", i, ".");
  const int d = c.d_model;
  const float scale =
      1.0f / std::sqrt(static_cast<float>(d / c.encoder_attention_heads));
  ASSIGN_OR_RETURN(layer->qkv,
                   b.Fused({p + "self_attn.q_proj", p + "self_attn.k_proj",
                            p + "self_attn.v_proj"},
                           d, d, 1, scale, std::nullopt));
  ASSIGN_OR_RETURN(layer->attention_out,
                   b.Single(p + "self_attn.out_proj", d, d));
  ASSIGN_OR_RETURN(layer->attention_norm, b.Norm(p + "self_attn_layer_norm"));
  ASSIGN_OR_RETURN(layer->fc1,
                   b.Single(p + "fc1", d, c.encoder_ffn_dim, c.activation));
  ASSIGN_OR_RETURN(layer->fc2, b.Single(p + "fc2", c.encoder_ffn_dim, d));
  ASSIGN_OR_RETURN(layer->ffn_norm, b.Norm(p + "final_layer_norm"));
  return absl::OkStatus();
}

absl::Status BuildDecoderLayer(WeightBuilder& b, const ModelConfig& c, int i,
                               DecoderLayerWeights* layer) {
  const std::string p = absl::StrCat("model.decoder.layers.", i, ".");
  const int d = c.d_model;
  const float scale =
      1.0f / std::sqrt(static_cast<float>(d / c.decoder_attention_heads));
  ASSIGN_OR_RETURN(layer->self_qkv,
                   b.Fused({p + "self_attn.q_proj", p + "self_attn.k_proj",
                            p + "self_attn.v_proj"},
                           d, d, 1, scale, std::nullopt));
  ASSIGN_OR_RETURN(layer->self_out, b.Single(p + "self_attn.out_proj", d, d));
  ASSIGN_OR_RETURN(layer->self_norm, b.Norm(p + "self_attn_layer_norm"));
  ASSIGN_OR_RETURN(layer->cross_q, b.Fused({p + "encoder_attn.q_proj"}, d, d, 1,
                                           scale, std::nullopt));
  ASSIGN_OR_RETURN(layer->cross_out,
                   b.Single(p + "encoder_attn.out_proj", d, d));
  ASSIGN_OR_RETURN(layer->cross_norm, b.Norm(p + "encoder_attn_layer_norm"));
  ASSIGN_OR_RETURN(layer->fc1,
                   b.Single(p + "fc1", d, c.decoder_ffn_dim, c.activation));
  ASSIGN_OR_RETURN(layer->fc2, b.Single(p + "fc2", c.decoder_ffn_dim, d));
  ASSIGN_OR_RETURN(layer->ffn_norm, b.Norm(p + "final_layer_norm"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ComputeType> ParseComputeType(absl::string_view name) {
  if (name == "float32" || name == "fp32" || name == "float") {
    return ComputeType::kFloat32;
  }
  if (name == "bfloat16" || name == "bf16") return ComputeType::kBFloat16;
  if (name == "int8") return ComputeType::kInt8;
  return absl::InvalidArgumentError(absl::StrCat(
      "compute_type must be float32, bfloat16 or int8, got '", name, "'"));
}

absl::string_view ComputeTypeName(ComputeType type) {
  switch (type) {
    case ComputeType::kFloat32:
      return "float32";
    case ComputeType::kBFloat16:
      return "bfloat16";
    case ComputeType::kInt8:
      return "int8";
  }
  return "unknown";
}

Model::Model(const ModelConfig& config, ComputeType compute_type)
    : config_(config), compute_type_(compute_type) {}
Model::~Model() = default;

std::string Model::DescribeBackend() const { return backend_->Describe(); }

absl::StatusOr<std::shared_ptr<const Model>> Model::FromTensors(
    const ModelConfig& config, const TensorSource& tensors,
    const LoadOptions& options) {
  std::shared_ptr<Model> model(new Model(config, options.compute_type));
  if (options.reference_backend) {
    model->backend_ = CreateReferenceBackend();
  } else {
    ASSIGN_OR_RETURN(model->backend_, CreateDnnlBackend(options.compute_type,
                                                        options.num_threads));
  }
  auto weights = std::make_unique<Weights>();
  WeightBuilder b(config, tensors, *model->backend_);
  const int d = config.d_model;
  const int vocab = config.vocab_size;

  ASSIGN_OR_RETURN(
      weights->encoder_embeddings,
      b.GetAny({"model.shared.weight", "model.encoder.embed_tokens.weight"},
               {vocab, d}));
  if (!config.share_encoder_decoder_embeddings) {
    ASSIGN_OR_RETURN(weights->decoder_embeddings,
                     b.Get("model.decoder.embed_tokens.weight", {vocab, d}));
  }
  weights->positions =
      SinusoidalPositionTable(config.max_position_embeddings, d);
  weights->embedding_scale =
      config.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.0f;

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
    const std::string p = absl::StrCat("model.decoder.layers.", i, ".");
    cross_names.push_back(p + "encoder_attn.k_proj");
    cross_names.push_back(p + "encoder_attn.v_proj");
  }
  ASSIGN_OR_RETURN(weights->cross_kv,
                   b.Fused(cross_names, d, d, 0, 1.0f, std::nullopt));
  if (config.normalize_before) {
    ASSIGN_OR_RETURN(weights->encoder_final_norm,
                     b.Norm("model.encoder.layer_norm"));
    ASSIGN_OR_RETURN(weights->decoder_final_norm,
                     b.Norm("model.decoder.layer_norm"));
  }

  // The output projection is tied to the decoder embeddings unless the
  // checkpoint carries its own lm_head.
  std::vector<float> lm_head;
  auto own_head = b.Get("lm_head.weight", {vocab, d});
  if (own_head.ok()) {
    lm_head = *std::move(own_head);
  } else if (absl::IsNotFound(own_head.status())) {
    lm_head = weights->DecoderEmbeddings();
  } else {
    return own_head.status();
  }
  std::vector<float> final_bias(vocab, 0.0f);
  auto bias = b.Get("final_logits_bias", {1, vocab});
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

absl::StatusOr<std::shared_ptr<const Model>> Model::Load(
    const std::string& dir, const LoadOptions& options) {
  const std::string config_path = dir + "/config.json";
  ASSIGN_OR_RETURN(std::string config_text, ReadFileToString(config_path));
  auto config = ParseModelConfig(config_text);
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(config_path, ": ", config.status().message()));
  }
  const std::string generation_path = dir + "/generation_config.json";
  if (auto generation_text = ReadFileToString(generation_path);
      generation_text.ok()) {
    const absl::Status status =
        ApplyGenerationConfig(*generation_text, &*config);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(generation_path, ": ", status.message()));
    }
  }
  const std::string weights_path = dir + "/model.safetensors";
  ASSIGN_OR_RETURN(auto reader, SafetensorsReader::Open(weights_path));
  // Accept names with and without the "model." prefix (older exports).
  TensorSource source =
      [&reader](const std::string& name,
                const Shape& shape) -> absl::StatusOr<std::vector<float>> {
    if (reader->Contains(name)) return reader->ReadFloat(name, shape);
    if (name.rfind("model.", 0) == 0 && reader->Contains(name.substr(6))) {
      return reader->ReadFloat(name.substr(6), shape);
    }
    return absl::NotFoundError(
        absl::StrCat("tensor '", name, "' is missing from ", reader->path()));
  };
  auto model = FromTensors(*config, source, options);
  if (!model.ok()) {
    const std::string message(model.status().message());
    // Tensor errors already name the file; others get the directory.
    if (message.find(weights_path) != std::string::npos) return model.status();
    return absl::Status(model.status().code(),
                        absl::StrCat(dir, ": ", message));
  }
  return model;
}

}  // namespace glossa::model
