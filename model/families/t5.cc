#include "model/families/t5.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "model/tokenizer/t5_tokenizer.h"

namespace glossa::model {
namespace {

// Inputs and outputs longer than this are refused unless the config's
// n_positions says otherwise (the length T5 was trained at).
constexpr int kDefaultPositions = 512;

// transformers' T5Config / MT5Config defaults for keys a config.json
// leaves out.
ModelConfig T5Defaults(const char* model_type, bool mt5) {
  ModelConfig c;
  c.model_type = model_type;
  c.vocab_size = mt5 ? 250112 : 32128;
  c.d_model = 512;
  c.head_dim = 64;
  c.encoder_ffn_dim = c.decoder_ffn_dim = mt5 ? 1024 : 2048;
  c.encoder_layers = c.decoder_layers = 8;
  if (!mt5) c.encoder_layers = c.decoder_layers = 6;
  c.encoder_attention_heads = c.decoder_attention_heads = mt5 ? 6 : 8;
  c.max_position_embeddings = kDefaultPositions;
  c.pad_token_id = 0;
  c.eos_token_id = 1;
  c.decoder_start_token_id = 0;
  c.forced_eos_token_id = -1;
  c.tie_word_embeddings = !mt5;
  c.generation.max_length = 20;
  Architecture& a = c.architecture;
  a.norm = NormKind::kRmsNorm;
  a.norm_epsilon = 1e-6f;
  a.pre_norm = true;
  a.final_norms = true;
  a.scale_attention = false;
  a.linear_biases = false;
  a.positions = PositionEncoding::kRelativeBuckets;
  a.relative_buckets = 32;
  a.relative_max_distance = 128;
  a.gated_ffn = mt5;
  a.activation = mt5 ? Activation::kGeluNew : Activation::kRelu;
  return c;
}

// feed_forward_proj: "relu", "gated-gelu" (gelu_new, as T5Config maps
// it), or "[gated-]<activation>".
absl::Status ReadFeedForward(const JsonFields& fields, Architecture* a) {
  std::string proj = a->gated_ffn ? "gated-gelu" : "relu";
  RETURN_IF_ERROR(fields.ReadString("feed_forward_proj", &proj));
  absl::string_view activation = proj;
  a->gated_ffn = absl::ConsumePrefix(&activation, "gated-");
  if (a->gated_ffn && activation == "gelu") activation = "gelu_new";
  absl::StatusOr<Activation> parsed = ParseActivation(activation);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field 'feed_forward_proj' must be '[gated-]<activation>' "
        "(relu, gated-gelu, ...); ",
        parsed.status().message()));
  }
  a->activation = *parsed;
  return absl::OkStatus();
}

class T5Family final : public Family {
 public:
  T5Family(const char* model_type, bool mt5)
      : model_type_(model_type), mt5_(mt5) {}

  absl::string_view model_type() const override { return model_type_; }

  absl::StatusOr<ModelConfig> ParseConfig(
      const JsonFields& fields) const override {
    ModelConfig c = T5Defaults(model_type_, mt5_);
    Architecture& a = c.architecture;
    RETURN_IF_ERROR(fields.ReadInt("vocab_size", 1, &c.vocab_size));
    RETURN_IF_ERROR(fields.ReadInt("d_model", 1, &c.d_model));
    RETURN_IF_ERROR(fields.ReadInt("d_kv", 1, &c.head_dim));
    RETURN_IF_ERROR(fields.ReadInt("d_ff", 1, &c.encoder_ffn_dim));
    c.decoder_ffn_dim = c.encoder_ffn_dim;
    RETURN_IF_ERROR(fields.ReadInt("num_layers", 1, &c.encoder_layers));
    c.decoder_layers = c.encoder_layers;
    RETURN_IF_ERROR(fields.ReadInt("num_decoder_layers", 1, &c.decoder_layers));
    RETURN_IF_ERROR(fields.ReadInt("num_heads", 1, &c.encoder_attention_heads));
    c.decoder_attention_heads = c.encoder_attention_heads;
    RETURN_IF_ERROR(fields.ReadInt("relative_attention_num_buckets", 2,
                                   &a.relative_buckets));
    RETURN_IF_ERROR(fields.ReadInt("relative_attention_max_distance", 2,
                                   &a.relative_max_distance));
    RETURN_IF_ERROR(
        fields.ReadFloat("layer_norm_epsilon", 0.0f, 1.0f, &a.norm_epsilon));
    RETURN_IF_ERROR(ReadFeedForward(fields, &a));
    RETURN_IF_ERROR(
        fields.ReadBool("tie_word_embeddings", &c.tie_word_embeddings));
    RETURN_IF_ERROR(
        fields.ReadInt("n_positions", 1, &c.max_position_embeddings));
    RETURN_IF_ERROR(fields.ReadInt("pad_token_id", 0, &c.pad_token_id));
    RETURN_IF_ERROR(fields.ReadInt("eos_token_id", 0, &c.eos_token_id));
    RETURN_IF_ERROR(
        fields.ReadInt("decoder_start_token_id", 0, &c.decoder_start_token_id));
    RETURN_IF_ERROR(fields.ReadOptionalTokenId("forced_eos_token_id",
                                               &c.forced_eos_token_id));
    RETURN_IF_ERROR(fields.ReadOptionalTokenId("forced_bos_token_id",
                                               &c.forced_bos_token_id));
    RETURN_IF_ERROR(
        fields.ReadSingleTokenLists("bad_words_ids", &c.bad_words_ids));
    RETURN_IF_ERROR(ReadGenerationDefaults(fields, &c.generation));
    a.tied_output_scale = c.tie_word_embeddings
                              ? 1.0f / std::sqrt(static_cast<float>(c.d_model))
                              : 1.0f;
    RETURN_IF_ERROR(ValidateModelConfig(c));
    return c;
  }

  std::string ConfigJson(const ModelConfig& c) const override {
    const Architecture& a = c.architecture;
    std::string activation(ActivationName(a.activation));
    if (a.gated_ffn) {
      activation = a.activation == Activation::kGeluNew
                       ? "gated-gelu"
                       : absl::StrCat("gated-", activation);
    }
    nlohmann::json config = {
        {"model_type", c.model_type},
        {"architectures",
         {mt5_ ? "MT5ForConditionalGeneration" : "T5ForConditionalGeneration"}},
        {"vocab_size", c.vocab_size},
        {"d_model", c.d_model},
        {"d_kv", c.HeadDim(c.encoder_attention_heads)},
        {"d_ff", c.encoder_ffn_dim},
        {"num_layers", c.encoder_layers},
        {"num_decoder_layers", c.decoder_layers},
        {"num_heads", c.encoder_attention_heads},
        {"relative_attention_num_buckets", a.relative_buckets},
        {"relative_attention_max_distance", a.relative_max_distance},
        {"layer_norm_epsilon", a.norm_epsilon},
        {"feed_forward_proj", activation},
        {"tie_word_embeddings", c.tie_word_embeddings},
        {"n_positions", c.max_position_embeddings},
        {"pad_token_id", c.pad_token_id},
        {"eos_token_id", c.eos_token_id},
        {"decoder_start_token_id", c.decoder_start_token_id},
        {"is_encoder_decoder", true}};
    return config.dump(2) + "\n";
  }

  CheckpointLayout Layout(const ModelConfig& config) const override {
    CheckpointLayout layout;
    // save_pretrained writes the tied table once, as shared.weight; many
    // hub files also carry the encoder's copy.
    layout.encoder_embeddings = {"shared.weight",
                                 "encoder.embed_tokens.weight"};
    layout.decoder_embeddings = "decoder.embed_tokens.weight";
    layout.encoder_layer_prefix = "encoder.block.";
    layout.decoder_layer_prefix = "decoder.block.";
    layout.self_attention = "layer.0.SelfAttention";
    layout.cross_attention = "layer.1.EncDecAttention";
    layout.query = "q";
    layout.key = "k";
    layout.value = "v";
    layout.attention_output = "o";
    layout.self_attention_norm = "layer.0.layer_norm";
    layout.cross_attention_norm = "layer.1.layer_norm";
    const bool gated = config.architecture.gated_ffn;
    const auto ffn = [gated](const std::string& sublayer) {
      const std::string dense = sublayer + ".DenseReluDense.";
      return FeedForwardNames{dense + (gated ? "wi_1" : "wi"),
                              gated ? dense + "wi_0" : "", dense + "wo",
                              sublayer + ".layer_norm"};
    };
    layout.encoder_ffn = ffn("layer.1");
    layout.decoder_ffn = ffn("layer.2");
    layout.encoder_relative_bias =
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    layout.decoder_relative_bias =
        "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    layout.encoder_final_norm = "encoder.final_layer_norm";
    layout.decoder_final_norm = "decoder.final_layer_norm";
    layout.lm_head = "lm_head.weight";
    return layout;
  }

  absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
      const std::string& dir, const ModelConfig& config) const override {
    ASSIGN_OR_RETURN(std::unique_ptr<T5Tokenizer> tokenizer,
                     T5Tokenizer::Load(dir, config.vocab_size));
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
  }

 private:
  const char* model_type_;
  bool mt5_;
};

}  // namespace

const Family& T5() {
  static const T5Family* family = new T5Family("t5", /*mt5=*/false);
  return *family;
}

const Family& MT5() {
  static const T5Family* family = new T5Family("mt5", /*mt5=*/true);
  return *family;
}

}  // namespace glossa::model
