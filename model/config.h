#ifndef GLOSSA_MODEL_CONFIG_H_
#define GLOSSA_MODEL_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace glossa::model {

enum class Activation { kRelu, kSwish, kGelu, kGeluNew };

// The MarianConfig fields Glossa uses, read from a model's config.json.
struct ModelConfig {
  std::string model_type = "marian";
  int d_model = 512;
  int encoder_layers = 6;
  int decoder_layers = 6;
  int encoder_attention_heads = 8;
  int decoder_attention_heads = 8;
  int encoder_ffn_dim = 2048;
  int decoder_ffn_dim = 2048;
  Activation activation = Activation::kSwish;
  bool scale_embedding = true;
  bool normalize_before = false;
  int vocab_size = 0;
  int max_position_embeddings = 512;
  int pad_token_id = 0;
  int eos_token_id = 0;
  int decoder_start_token_id = 0;
  // This token is forced as the last allowed one (Hugging Face's
  // forced_eos_token_id; MarianConfig defaults it to 0). -1: not forced.
  int forced_eos_token_id = 0;
  // Token ids never generated (flattened from bad_words_ids [[id], ...];
  // only single-token entries are meaningful for Marian).
  std::vector<int> bad_words_ids;
  bool share_encoder_decoder_embeddings = true;
  // Generation defaults from config.json (used when a caller sets none).
  int num_beams = 1;
  int max_length = 512;
};

// Parses config.json text; keys it leaves out take transformers'
// MarianConfig defaults (gelu, no embedding scaling, max_length 20, ...).
// InvalidArgument names the bad field.
absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text);

// Applies generation_config.json (num_beams, max_length, bad_words_ids,
// forced_eos_token_id, decoder_start_token_id), which takes precedence over
// config.json in Hugging Face's generate().
absl::Status ApplyGenerationConfig(absl::string_view json_text,
                                   ModelConfig* config);
absl::string_view ActivationName(Activation activation);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_CONFIG_H_
