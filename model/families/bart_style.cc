#include "model/families/bart_style.h"

#include <cmath>
#include <string>

#include "base/status_macros.h"

namespace glossa::model {

ModelConfig BartStyleDefaults(const char* model_type) {
  ModelConfig config;
  config.model_type = model_type;
  config.max_position_embeddings = 1024;
  config.encoder_layers = config.decoder_layers = 12;
  config.encoder_ffn_dim = config.decoder_ffn_dim = 4096;
  config.encoder_attention_heads = config.decoder_attention_heads = 16;
  config.d_model = 1024;
  config.generation.num_beams = 1;
  config.generation.max_length = 20;
  return config;
}

absl::Status ReadBartStyleFields(const JsonFields& fields,
                                 ModelConfig* config) {
  ModelConfig& c = *config;
  RETURN_IF_ERROR(fields.ReadInt("d_model", 1, &c.d_model));
  RETURN_IF_ERROR(fields.ReadInt("encoder_layers", 1, &c.encoder_layers));
  RETURN_IF_ERROR(fields.ReadInt("decoder_layers", 1, &c.decoder_layers));
  RETURN_IF_ERROR(
      fields.ReadInt("encoder_attention_heads", 1, &c.encoder_attention_heads));
  RETURN_IF_ERROR(
      fields.ReadInt("decoder_attention_heads", 1, &c.decoder_attention_heads));
  RETURN_IF_ERROR(fields.ReadInt("encoder_ffn_dim", 1, &c.encoder_ffn_dim));
  RETURN_IF_ERROR(fields.ReadInt("decoder_ffn_dim", 1, &c.decoder_ffn_dim));
  RETURN_IF_ERROR(fields.ReadInt("vocab_size", 1, &c.vocab_size));
  RETURN_IF_ERROR(
      fields.ReadInt("max_position_embeddings", 2, &c.max_position_embeddings));
  RETURN_IF_ERROR(fields.ReadInt("pad_token_id", 0, &c.pad_token_id));
  RETURN_IF_ERROR(fields.ReadInt("eos_token_id", 0, &c.eos_token_id));
  RETURN_IF_ERROR(
      fields.ReadInt("decoder_start_token_id", 0, &c.decoder_start_token_id));
  RETURN_IF_ERROR(fields.ReadOptionalTokenId("forced_eos_token_id",
                                             &c.forced_eos_token_id));
  RETURN_IF_ERROR(fields.ReadOptionalTokenId("forced_bos_token_id",
                                             &c.forced_bos_token_id));
  RETURN_IF_ERROR(ReadGenerationDefaults(fields, &c.generation));
  RETURN_IF_ERROR(
      fields.ReadSingleTokenLists("bad_words_ids", &c.bad_words_ids));
  bool scale_embedding = c.architecture.embedding_scale != 1.0f;
  RETURN_IF_ERROR(fields.ReadBool("scale_embedding", &scale_embedding));
  c.architecture.embedding_scale =
      scale_embedding ? std::sqrt(static_cast<float>(c.d_model)) : 1.0f;
  std::string activation(ActivationName(c.architecture.activation));
  RETURN_IF_ERROR(fields.ReadString("activation_function", &activation));
  ASSIGN_OR_RETURN(c.architecture.activation, ParseActivation(activation));
  return absl::OkStatus();
}

nlohmann::json BartStyleConfigJson(const ModelConfig& c) {
  const Architecture& a = c.architecture;
  nlohmann::json bad_words = nlohmann::json::array();
  for (int id : c.bad_words_ids) bad_words.push_back({id});
  const auto optional_id = [](int id) {
    return id < 0 ? nlohmann::json(nullptr) : nlohmann::json(id);
  };
  return {{"model_type", c.model_type},
          {"d_model", c.d_model},
          {"encoder_layers", c.encoder_layers},
          {"decoder_layers", c.decoder_layers},
          {"encoder_attention_heads", c.encoder_attention_heads},
          {"decoder_attention_heads", c.decoder_attention_heads},
          {"encoder_ffn_dim", c.encoder_ffn_dim},
          {"decoder_ffn_dim", c.decoder_ffn_dim},
          {"activation_function", std::string(ActivationName(a.activation))},
          {"scale_embedding", a.embedding_scale != 1.0f},
          {"vocab_size", c.vocab_size},
          {"max_position_embeddings", c.max_position_embeddings},
          {"max_length", c.generation.max_length},
          {"pad_token_id", c.pad_token_id},
          {"eos_token_id", c.eos_token_id},
          {"decoder_start_token_id", c.decoder_start_token_id},
          {"forced_eos_token_id", optional_id(c.forced_eos_token_id)},
          {"forced_bos_token_id", optional_id(c.forced_bos_token_id)},
          {"bad_words_ids", bad_words},
          {"num_beams", c.generation.num_beams},
          {"tie_word_embeddings", true}};
}

}  // namespace glossa::model
