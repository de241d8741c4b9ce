#include "model/families/marian.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/tokenizer/marian_tokenizer.h"

namespace glossa::model {
namespace {

// transformers' MarianConfig defaults, and PretrainedConfig's for the
// generation fields, for keys a config.json leaves out.
ModelConfig MarianDefaults() {
  ModelConfig config;
  config.model_type = "marian";
  config.vocab_size = 58101;
  config.max_position_embeddings = 1024;
  config.encoder_layers = config.decoder_layers = 12;
  config.encoder_ffn_dim = config.decoder_ffn_dim = 4096;
  config.encoder_attention_heads = config.decoder_attention_heads = 16;
  config.d_model = 1024;
  config.pad_token_id = 58100;
  config.eos_token_id = 0;
  config.decoder_start_token_id = 58100;
  config.forced_eos_token_id = 0;
  config.share_encoder_decoder_embeddings = true;
  config.num_beams = 1;
  config.max_length = 20;
  config.architecture.activation = Activation::kGelu;
  return config;
}

class MarianFamily final : public Family {
 public:
  absl::string_view model_type() const override { return "marian"; }

  absl::StatusOr<ModelConfig> ParseConfig(
      const JsonFields& fields) const override {
    ModelConfig config = MarianDefaults();
    RETURN_IF_ERROR(fields.ReadInt("d_model", 1, &config.d_model));
    RETURN_IF_ERROR(
        fields.ReadInt("encoder_layers", 1, &config.encoder_layers));
    RETURN_IF_ERROR(
        fields.ReadInt("decoder_layers", 1, &config.decoder_layers));
    RETURN_IF_ERROR(fields.ReadInt("encoder_attention_heads", 1,
                                   &config.encoder_attention_heads));
    RETURN_IF_ERROR(fields.ReadInt("decoder_attention_heads", 1,
                                   &config.decoder_attention_heads));
    RETURN_IF_ERROR(
        fields.ReadInt("encoder_ffn_dim", 1, &config.encoder_ffn_dim));
    RETURN_IF_ERROR(
        fields.ReadInt("decoder_ffn_dim", 1, &config.decoder_ffn_dim));
    RETURN_IF_ERROR(fields.ReadInt("vocab_size", 1, &config.vocab_size));
    RETURN_IF_ERROR(fields.ReadInt("max_position_embeddings", 2,
                                   &config.max_position_embeddings));
    RETURN_IF_ERROR(fields.ReadInt("pad_token_id", 0, &config.pad_token_id));
    RETURN_IF_ERROR(fields.ReadInt("eos_token_id", 0, &config.eos_token_id));
    // MarianConfig starts decoding from the pad token unless told otherwise.
    config.decoder_start_token_id = config.pad_token_id;
    RETURN_IF_ERROR(fields.ReadInt("decoder_start_token_id", 0,
                                   &config.decoder_start_token_id));
    RETURN_IF_ERROR(fields.ReadOptionalTokenId("forced_eos_token_id",
                                               &config.forced_eos_token_id));
    RETURN_IF_ERROR(fields.ReadBool("share_encoder_decoder_embeddings",
                                    &config.share_encoder_decoder_embeddings));
    RETURN_IF_ERROR(fields.ReadInt("num_beams", 1, &config.num_beams));
    RETURN_IF_ERROR(fields.ReadInt("max_length", 1, &config.max_length));
    RETURN_IF_ERROR(
        fields.ReadSingleTokenLists("bad_words_ids", &config.bad_words_ids));

    Architecture& architecture = config.architecture;
    bool scale_embedding = false;
    bool normalize_before = false;
    RETURN_IF_ERROR(fields.ReadBool("scale_embedding", &scale_embedding));
    RETURN_IF_ERROR(fields.ReadBool("normalize_before", &normalize_before));
    architecture.pre_norm = normalize_before;
    architecture.final_norms = normalize_before;
    architecture.embedding_scale =
        scale_embedding ? std::sqrt(static_cast<float>(config.d_model)) : 1.0f;
    architecture.positions = PositionEncoding::kSinusoidal;
    std::string activation(ActivationName(architecture.activation));
    RETURN_IF_ERROR(fields.ReadString("activation_function", &activation));
    ASSIGN_OR_RETURN(architecture.activation, ParseActivation(activation));

    // Checkpoints converted with separate source and target vocabularies
    // (target_vocab.json) size the decoder's embeddings and output layer by
    // decoder_vocab_size; the engine serves one shared vocabulary.
    int decoder_vocab_size = config.vocab_size;
    RETURN_IF_ERROR(
        fields.ReadInt("decoder_vocab_size", 1, &decoder_vocab_size));
    if (decoder_vocab_size != config.vocab_size) {
      return absl::UnimplementedError(absl::StrCat(
          "decoder_vocab_size ", decoder_vocab_size,
          " differs from vocab_size ", config.vocab_size,
          ": separate source and target vocabularies are not supported"));
    }
    RETURN_IF_ERROR(ValidateModelConfig(config));
    return config;
  }

  std::string ConfigJson(const ModelConfig& c) const override {
    const Architecture& a = c.architecture;
    nlohmann::json bad_words = nlohmann::json::array();
    for (int id : c.bad_words_ids) bad_words.push_back({id});
    nlohmann::json config = {
        {"architectures", {"MarianMTModel"}},
        {"model_type", "marian"},
        {"d_model", c.d_model},
        {"encoder_layers", c.encoder_layers},
        {"decoder_layers", c.decoder_layers},
        {"encoder_attention_heads", c.encoder_attention_heads},
        {"decoder_attention_heads", c.decoder_attention_heads},
        {"encoder_ffn_dim", c.encoder_ffn_dim},
        {"decoder_ffn_dim", c.decoder_ffn_dim},
        {"activation_function", std::string(ActivationName(a.activation))},
        {"scale_embedding", a.embedding_scale != 1.0f},
        {"normalize_before", a.pre_norm},
        {"vocab_size", c.vocab_size},
        {"max_position_embeddings", c.max_position_embeddings},
        {"max_length", c.max_length},
        {"pad_token_id", c.pad_token_id},
        {"eos_token_id", c.eos_token_id},
        {"decoder_start_token_id", c.decoder_start_token_id},
        {"bad_words_ids", bad_words},
        {"num_beams", c.num_beams},
        {"share_encoder_decoder_embeddings",
         c.share_encoder_decoder_embeddings},
        {"tie_word_embeddings", true}};
    config["forced_eos_token_id"] = c.forced_eos_token_id < 0
                                        ? nlohmann::json(nullptr)
                                        : nlohmann::json(c.forced_eos_token_id);
    return config.dump(2) + "\n";
  }

  CheckpointLayout Layout(const ModelConfig& config) const override {
    return BartStyleLayout();
  }

  absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
      const std::string& dir, const ModelConfig& config) const override {
    ASSIGN_OR_RETURN(std::unique_ptr<MarianTokenizer> tokenizer,
                     MarianTokenizer::Load(dir));
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
  }
};

}  // namespace

const Family& Marian() {
  static const MarianFamily* family = new MarianFamily();
  return *family;
}

}  // namespace glossa::model
