#include "model/config.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "model/status_macros.h"

namespace glossa::model {
namespace {

using nlohmann::json;

absl::Status ReadInt(const json& root, const char* key, int min_value,
                     int* out) {
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field '", key, "' must be an integer, got ", it->dump()));
  }
  const int64_t value = it->get<int64_t>();
  if (value < min_value || value > (1 << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config field '", key, "' must be in [", min_value, ", ",
                     1 << 24, "], got ", value));
  }
  *out = static_cast<int>(value);
  return absl::OkStatus();
}

absl::Status ReadBool(const json& root, const char* key, bool* out) {
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_boolean()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config field '", key, "' must be true or false, got ", it->dump()));
  }
  *out = it->get<bool>();
  return absl::OkStatus();
}

absl::StatusOr<Activation> ParseActivation(const std::string& name) {
  if (name == "swish" || name == "silu") return Activation::kSwish;
  if (name == "relu") return Activation::kRelu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" ||
      name == "gelu_fast") {
    return Activation::kGeluNew;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "config field 'activation_function' must be one of swish, silu, relu, "
      "gelu, gelu_new; got '",
      name, "'"));
}

absl::Status ReadBadWords(const json& value, ModelConfig* config) {
  if (value.is_null()) return absl::OkStatus();
  if (!value.is_array()) {
    return absl::InvalidArgumentError(
        "config field 'bad_words_ids' must be a list of lists of ids");
  }
  for (const json& entry : value) {
    // Only single-token entries ban a token outright; longer sequences
    // would need n-gram matching, which Marian checkpoints never use.
    if (entry.is_array() && entry.size() == 1 && entry[0].is_number_integer()) {
      config->bad_words_ids.push_back(entry[0].get<int>());
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kRelu:
      return "relu";
    case Activation::kSwish:
      return "swish";
    case Activation::kGelu:
      return "gelu";
    case Activation::kGeluNew:
      return "gelu_new";
  }
  return "unknown";
}

static ModelConfig MarianConfigDefaults() {
  // transformers' MarianConfig defaults, and PretrainedConfig's for the
  // generation fields, for keys a config.json leaves out.
  ModelConfig config;
  config.vocab_size = 58101;
  config.max_position_embeddings = 1024;
  config.encoder_layers = config.decoder_layers = 12;
  config.encoder_ffn_dim = config.decoder_ffn_dim = 4096;
  config.encoder_attention_heads = config.decoder_attention_heads = 16;
  config.d_model = 1024;
  config.activation = Activation::kGelu;
  config.scale_embedding = false;
  config.pad_token_id = 58100;
  config.eos_token_id = 0;
  config.forced_eos_token_id = 0;
  config.num_beams = 1;
  config.max_length = 20;
  return config;
}

absl::Status ApplyGenerationConfig(absl::string_view json_text,
                                   ModelConfig* config) {
  json root = json::parse(json_text.begin(), json_text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(
        "generation_config.json is not a JSON object");
  }
  RETURN_IF_ERROR(ReadInt(root, "num_beams", 1, &config->num_beams));
  RETURN_IF_ERROR(ReadInt(root, "max_length", 1, &config->max_length));
  RETURN_IF_ERROR(ReadInt(root, "decoder_start_token_id", 0,
                          &config->decoder_start_token_id));
  if (auto it = root.find("forced_eos_token_id"); it != root.end()) {
    if (it->is_null()) {
      config->forced_eos_token_id = -1;
    } else {
      RETURN_IF_ERROR(ReadInt(root, "forced_eos_token_id", 0,
                              &config->forced_eos_token_id));
    }
  }
  if (auto it = root.find("bad_words_ids"); it != root.end()) {
    config->bad_words_ids.clear();
    RETURN_IF_ERROR(ReadBadWords(*it, config));
  }
  for (int id : config->bad_words_ids) {
    if (id < 0 || id >= config->vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad_words_ids entry ", id, " is outside the vocabulary of size ",
          config->vocab_size));
    }
  }
  if (config->decoder_start_token_id >= config->vocab_size ||
      config->forced_eos_token_id >= config->vocab_size) {
    return absl::InvalidArgumentError(
        "generation_config.json names a token outside the vocabulary");
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text) {
  json root = json::parse(json_text.begin(), json_text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError("config.json is not a JSON object");
  }
  ModelConfig config = MarianConfigDefaults();
  if (auto it = root.find("model_type"); it != root.end() && it->is_string()) {
    config.model_type = it->get<std::string>();
  }
  RETURN_IF_ERROR(ReadInt(root, "d_model", 1, &config.d_model));
  RETURN_IF_ERROR(ReadInt(root, "encoder_layers", 1, &config.encoder_layers));
  RETURN_IF_ERROR(ReadInt(root, "decoder_layers", 1, &config.decoder_layers));
  RETURN_IF_ERROR(ReadInt(root, "encoder_attention_heads", 1,
                          &config.encoder_attention_heads));
  RETURN_IF_ERROR(ReadInt(root, "decoder_attention_heads", 1,
                          &config.decoder_attention_heads));
  RETURN_IF_ERROR(ReadInt(root, "encoder_ffn_dim", 1, &config.encoder_ffn_dim));
  RETURN_IF_ERROR(ReadInt(root, "decoder_ffn_dim", 1, &config.decoder_ffn_dim));
  RETURN_IF_ERROR(ReadInt(root, "vocab_size", 1, &config.vocab_size));
  RETURN_IF_ERROR(ReadInt(root, "max_position_embeddings", 2,
                          &config.max_position_embeddings));
  RETURN_IF_ERROR(ReadInt(root, "pad_token_id", 0, &config.pad_token_id));
  RETURN_IF_ERROR(ReadInt(root, "eos_token_id", 0, &config.eos_token_id));
  config.decoder_start_token_id = config.pad_token_id;
  RETURN_IF_ERROR(ReadInt(root, "decoder_start_token_id", 0,
                          &config.decoder_start_token_id));
  if (auto it = root.find("forced_eos_token_id"); it != root.end()) {
    if (it->is_null()) {
      config.forced_eos_token_id = -1;
    } else {
      RETURN_IF_ERROR(
          ReadInt(root, "forced_eos_token_id", 0, &config.forced_eos_token_id));
    }
  }
  RETURN_IF_ERROR(ReadBool(root, "scale_embedding", &config.scale_embedding));
  RETURN_IF_ERROR(ReadBool(root, "normalize_before", &config.normalize_before));
  RETURN_IF_ERROR(ReadBool(root, "share_encoder_decoder_embeddings",
                           &config.share_encoder_decoder_embeddings));
  RETURN_IF_ERROR(ReadInt(root, "num_beams", 1, &config.num_beams));
  RETURN_IF_ERROR(ReadInt(root, "max_length", 1, &config.max_length));
  if (auto it = root.find("activation_function"); it != root.end()) {
    if (!it->is_string()) {
      return absl::InvalidArgumentError(
          "config field 'activation_function' must be a string");
    }
    ASSIGN_OR_RETURN(config.activation,
                     ParseActivation(it->get<std::string>()));
  }
  if (auto it = root.find("bad_words_ids"); it != root.end()) {
    RETURN_IF_ERROR(ReadBadWords(*it, &config));
  }

  if (config.vocab_size <= 0) {
    return absl::InvalidArgumentError("config field 'vocab_size' is missing");
  }
  // Marian checkpoints converted with separate source and target
  // vocabularies (target_vocab.json) size the decoder's embeddings and output
  // layer by decoder_vocab_size; the engine serves one shared vocabulary.
  if (auto it = root.find("decoder_vocab_size");
      it != root.end() && !it->is_null()) {
    int decoder_vocab_size = 0;
    RETURN_IF_ERROR(
        ReadInt(root, "decoder_vocab_size", 1, &decoder_vocab_size));
    if (decoder_vocab_size != config.vocab_size) {
      return absl::UnimplementedError(absl::StrCat(
          "decoder_vocab_size ", decoder_vocab_size,
          " differs from vocab_size ", config.vocab_size,
          ": separate source and target vocabularies are not supported"));
    }
  }
  if (config.d_model % config.encoder_attention_heads != 0 ||
      config.d_model % config.decoder_attention_heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("d_model (", config.d_model,
                     ") must be divisible by the attention head counts (",
                     config.encoder_attention_heads, ", ",
                     config.decoder_attention_heads, ")"));
  }
  if (config.d_model % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "d_model must be even for sinusoidal positions, got ", config.d_model));
  }
  for (int id : {config.pad_token_id, config.eos_token_id,
                 config.decoder_start_token_id, config.forced_eos_token_id}) {
    if (id >= config.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("special token id ", id,
                       " is outside the vocabulary "
                       "of size ",
                       config.vocab_size));
    }
  }
  for (int id : config.bad_words_ids) {
    if (id < 0 || id >= config.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad_words_ids entry ", id, " is outside the vocabulary of size ",
          config.vocab_size));
    }
  }
  return config;
}

}  // namespace glossa::model
