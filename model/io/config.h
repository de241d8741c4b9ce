#ifndef GLOSSA_MODEL_IO_CONFIG_H_
#define GLOSSA_MODEL_IO_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "model/kernels/compute_type.h"

namespace glossa::model {

// Where token positions come from. New encodings (T5's relative buckets)
// are added here and implemented in transformer/positions.cc.
enum class PositionEncoding {
  // Fixed sinusoids in Hugging Face Marian's layout: sin over the first
  // half of the dimensions, cos over the second, positions from 0.
  kSinusoidal,
  // Fixed sinusoids as fairseq computes them (M2M100 / NLLB): frequencies
  // 10000^(-j / (half - 1)), and the first token at position pad_token_id
  // + 1 (positions count non-pad tokens after the padding index).
  kFairseqSinusoidal,
  // Learned tables stored in the checkpoint, one for the encoder and one
  // for the decoder (mBART, BART): token t reads row t + 2.
  kLearned,
  // No absolute positions: a learned bias per head and bucket of the
  // relative distance is added to the attention scores (T5). The first
  // layer of each stack holds the table; the others reuse it.
  kRelativeBuckets,
};

enum class NormKind {
  // (x - mean) / sqrt(var + eps) * gamma + beta.
  kLayerNorm,
  // x / sqrt(mean(x^2) + eps) * gamma: no mean, no bias (T5's LayerNorm).
  kRmsNorm,
};

// Rows of a learned table before the first token's (fairseq kept two for
// padding and the start of the sequence; Hugging Face keeps the offset).
inline constexpr int kLearnedPositionOffset = 2;

// How the layers of a model are wired: the parts in which Transformer
// families differ. A family unit (model/families) fills it in from
// config.json; the forward pass reads it and never asks which family it
// runs.
struct Architecture {
  // Post-norm x = LN(x + f(x)) (Marian, BART) or pre-norm x = x + f(LN(x))
  // (M2M100, mBART).
  bool pre_norm = false;
  // A LayerNorm after the last encoder and the last decoder layer.
  bool final_norms = false;
  float norm_epsilon = 1e-5f;
  // Token embeddings are multiplied by this (sqrt(d_model) when the config
  // says scale_embedding).
  float embedding_scale = 1.0f;
  PositionEncoding positions = PositionEncoding::kSinusoidal;
  // A LayerNorm over embedding + position before the first layer
  // (layernorm_embedding of mBART and BART).
  bool embedding_norm = false;
  // After the first feed-forward projection.
  Activation activation = Activation::kSwish;
  NormKind norm = NormKind::kLayerNorm;
  // Attention scores are divided by sqrt(head_dim) (every family but T5,
  // whose initialisation folds the scale into the query weights).
  bool scale_attention = true;
  // Linear layers carry biases (every family but T5).
  bool linear_biases = true;
  // Gated feed-forward: act(x W_gate) * (x W_in), then W_out (T5's
  // gated-gelu); otherwise act(x W_in) W_out.
  bool gated_ffn = false;
  // The decoder output is multiplied by this before a tied output
  // projection (T5: d_model^-0.5); an untied lm_head is used as it is.
  float tied_output_scale = 1.0f;
  // PositionEncoding::kRelativeBuckets: buckets per direction pair and the
  // distance past which every offset shares the last bucket.
  int relative_buckets = 0;
  int relative_max_distance = 0;
};

// Decoding settings a checkpoint names for callers that set none
// (config.json, then generation_config.json, as generate() reads them),
// e.g. BART's CNN/DailyMail fine-tune: beam 4, length_penalty 2,
// min_length 56, no_repeat_ngram_size 3, early_stopping.
struct GenerationDefaults {
  int num_beams = 1;
  // Counts the decoder start token, as Hugging Face's does.
  int max_length = 0;
  // Output tokens before EOS may end a hypothesis (min_output_tokens).
  int min_length = 0;
  float length_penalty = 1.0f;
  int no_repeat_ngram_size = 0;
  float repetition_penalty = 1.0f;
  bool early_stopping = false;
};

// What the engine needs to know of a model, whatever its family. The
// family's parser sets every field from config.json, with its own defaults
// (families/marian.cc holds Marian's); sizes here are 0 so that nothing
// mistakes them for a model's.
struct ModelConfig {
  std::string model_type;
  Architecture architecture;
  int d_model = 0;
  int encoder_layers = 0;
  int decoder_layers = 0;
  int encoder_attention_heads = 0;
  int decoder_attention_heads = 0;
  // Width of one attention head; 0: d_model / heads. T5 sets it (d_kv) on
  // its own, so heads * head_dim need not equal d_model.
  int head_dim = 0;
  int encoder_ffn_dim = 0;
  int decoder_ffn_dim = 0;
  int vocab_size = 0;
  int max_position_embeddings = 0;
  int pad_token_id = 0;
  int eos_token_id = 0;
  int decoder_start_token_id = 0;
  // This token is forced as the last allowed one (Hugging Face's
  // forced_eos_token_id). -1: not forced.
  int forced_eos_token_id = 0;
  // This token is forced as the first generated one (forced_bos_token_id;
  // a request's target language replaces it). -1: not forced.
  int forced_bos_token_id = -1;
  // The pad token is never generated (MarianMTModel bans it in its own
  // forward pass, beside bad_words_ids).
  bool never_generate_pad = false;
  // Token ids never generated (flattened from bad_words_ids [[id], ...];
  // only single-token entries ban a token outright).
  std::vector<int> bad_words_ids;
  bool share_encoder_decoder_embeddings = true;
  // The output projection is the decoder embedding table (no lm_head
  // tensor is read).
  bool tie_word_embeddings = true;
  GenerationDefaults generation;

  // Width of one head and of all heads together (the attention's inner
  // dimension) for `heads` heads.
  int HeadDim(int heads) const {
    return head_dim > 0 ? head_dim : d_model / heads;
  }
  int AttentionDim(int heads) const { return HeadDim(heads) * heads; }
};

// The checks every family's config must pass: positive sizes, head counts
// that divide d_model (unless head_dim is set), special and banned token
// ids inside the vocabulary, generation defaults in range.
// InvalidArgument naming the field.
absl::Status ValidateModelConfig(const ModelConfig& config);

class JsonFields;

// Reads the generation keys (num_beams, max_length, min_length,
// length_penalty, no_repeat_ngram_size, repetition_penalty,
// early_stopping) that config.json and generation_config.json both carry;
// absent keys keep their value.
absl::Status ReadGenerationDefaults(const JsonFields& fields,
                                    GenerationDefaults* defaults);

// Applies generation_config.json (the generation defaults above,
// bad_words_ids, forced_eos_token_id, forced_bos_token_id,
// decoder_start_token_id), which takes precedence over config.json in
// Hugging Face's generate().
absl::Status ApplyGenerationConfig(absl::string_view json_text,
                                   ModelConfig* config);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_IO_CONFIG_H_
