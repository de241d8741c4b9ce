#include "model/io/config.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/io/json_fields.h"

namespace glossa::model {

absl::Status ValidateModelConfig(const ModelConfig& config) {
  if (config.vocab_size <= 0) {
    return absl::InvalidArgumentError("config field 'vocab_size' is missing");
  }
  for (int value : {config.d_model, config.encoder_layers,
                    config.decoder_layers, config.encoder_ffn_dim,
                    config.decoder_ffn_dim, config.max_position_embeddings}) {
    if (value <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("model sizes must be positive, got ", value));
    }
  }
  if (config.encoder_attention_heads <= 0 ||
      config.decoder_attention_heads <= 0 ||
      (config.head_dim <= 0 &&
       (config.d_model % config.encoder_attention_heads != 0 ||
        config.d_model % config.decoder_attention_heads != 0))) {
    return absl::InvalidArgumentError(
        absl::StrCat("d_model (", config.d_model,
                     ") must be divisible by the attention head counts (",
                     config.encoder_attention_heads, ", ",
                     config.decoder_attention_heads, ")"));
  }
  for (int id :
       {config.pad_token_id, config.eos_token_id, config.decoder_start_token_id,
        config.forced_eos_token_id, config.forced_bos_token_id}) {
    if (id >= config.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "special token id ", id, " is outside the vocabulary of size ",
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
  if (config.architecture.positions == PositionEncoding::kRelativeBuckets &&
      (config.architecture.relative_buckets < 2 ||
       config.architecture.relative_max_distance < 2)) {
    return absl::InvalidArgumentError(
        "relative_attention_num_buckets and relative_attention_max_distance "
        "must be at least 2");
  }
  return absl::OkStatus();
}

absl::Status ReadGenerationDefaults(const JsonFields& fields,
                                    GenerationDefaults* defaults) {
  GenerationDefaults& g = *defaults;
  RETURN_IF_ERROR(fields.ReadInt("num_beams", 1, &g.num_beams));
  RETURN_IF_ERROR(fields.ReadInt("max_length", 1, &g.max_length));
  RETURN_IF_ERROR(fields.ReadInt("min_length", 0, &g.min_length));
  RETURN_IF_ERROR(
      fields.ReadFloat("length_penalty", -10.0f, 10.0f, &g.length_penalty));
  RETURN_IF_ERROR(
      fields.ReadInt("no_repeat_ngram_size", 0, &g.no_repeat_ngram_size));
  RETURN_IF_ERROR(fields.ReadFloat("repetition_penalty", 0.01f, 100.0f,
                                   &g.repetition_penalty));
  // early_stopping may also be "never" (bound the open beams by max_length
  // rather than by their current length); it is read as false, the nearest
  // rule the search implements.
  std::string early_stopping;
  if (fields.ReadString("early_stopping", &early_stopping).ok() &&
      early_stopping == "never") {
    g.early_stopping = false;
  } else {
    RETURN_IF_ERROR(fields.ReadBool("early_stopping", &g.early_stopping));
  }
  return absl::OkStatus();
}

absl::Status ApplyGenerationConfig(absl::string_view json_text,
                                   ModelConfig* config) {
  ASSIGN_OR_RETURN(const JsonFields fields,
                   JsonFields::Parse(json_text, "generation_config.json"));
  RETURN_IF_ERROR(ReadGenerationDefaults(fields, &config->generation));
  RETURN_IF_ERROR(fields.ReadInt("decoder_start_token_id", 0,
                                 &config->decoder_start_token_id));
  RETURN_IF_ERROR(fields.ReadOptionalTokenId("forced_eos_token_id",
                                             &config->forced_eos_token_id));
  RETURN_IF_ERROR(fields.ReadOptionalTokenId("forced_bos_token_id",
                                             &config->forced_bos_token_id));
  RETURN_IF_ERROR(
      fields.ReadSingleTokenLists("bad_words_ids", &config->bad_words_ids));
  return ValidateModelConfig(*config);
}

}  // namespace glossa::model
