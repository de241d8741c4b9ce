#ifndef GLOSSA_MODEL_TRANSFORMER_CHECKPOINT_LAYOUT_H_
#define GLOSSA_MODEL_TRANSFORMER_CHECKPOINT_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "model/io/config.h"

namespace glossa::model {

// The parts of one feed-forward sublayer, relative to its layer.
struct FeedForwardNames {
  std::string in;    // "fc1"; T5: "layer.1.DenseReluDense.wi" (or wi_1)
  std::string gate;  // gated FFNs only: "layer.1.DenseReluDense.wi_0"
  std::string out;   // "fc2"
  std::string norm;  // "final_layer_norm"
};

// Where each weight the forward pass reads lives in a checkpoint: the one
// spelling of the tensor names, used by the loader and by the random-model
// writer alike. A linear layer "<prefix>" has "<prefix>.weight" [out, in]
// and, when the architecture has linear_biases, "<prefix>.bias" [out]; a
// norm "<prefix>" has ".weight" and (LayerNorm only) ".bias" [d_model].
struct CheckpointLayout {
  // Token embeddings [vocab, d]: the first of these that exists (shared
  // embeddings, or the encoder's own).
  std::vector<std::string> encoder_embeddings;
  // Used when the config says the embeddings are not shared.
  std::string decoder_embeddings;
  // Learned position tables [max_position_embeddings + 2, d]
  // (PositionEncoding::kLearned only).
  std::string encoder_positions;
  std::string decoder_positions;
  // Architecture::embedding_norm only.
  std::string encoder_embedding_norm;
  std::string decoder_embedding_norm;
  // "<encoder_layer_prefix><i>.<part>", e.g. "model.encoder.layers.3.fc1".
  std::string encoder_layer_prefix;
  std::string decoder_layer_prefix;
  // Sublayer parts.
  std::string self_attention;   // + ".q_proj" ...
  std::string cross_attention;  // decoder only
  std::string query, key, value, attention_output;
  std::string self_attention_norm;
  std::string cross_attention_norm;
  FeedForwardNames encoder_ffn;
  FeedForwardNames decoder_ffn;
  // PositionEncoding::kRelativeBuckets: [buckets, heads] tables of the
  // first encoder and decoder layers.
  std::string encoder_relative_bias;
  std::string decoder_relative_bias;
  // After the last layer (Architecture::final_norms).
  std::string encoder_final_norm;
  std::string decoder_final_norm;
  // The untied output projection [vocab, d] (read only when the config
  // says tie_word_embeddings false); the bias [1, vocab] is optional. An
  // empty name: the family's checkpoints never hold the tensor.
  std::string lm_head;
  std::string final_logits_bias;

  std::string EncoderLayer(int layer, absl::string_view part) const;
  std::string DecoderLayer(int layer, absl::string_view part) const;
  // "<attention>.<projection>", e.g. Attention("self_attn", query).
  static std::string Join(absl::string_view a, absl::string_view b);
};

// The names of Hugging Face's BART-derived encoder-decoders (Marian, BART,
// mBART, M2M100 / NLLB): "model.encoder.layers.N.self_attn.q_proj", ...
CheckpointLayout BartStyleLayout();

struct TensorShape {
  std::string name;
  std::vector<int64_t> shape;
};

// Every tensor a checkpoint of `config` holds in `layout` with shared
// embeddings, as the loader reads them (computed position tables are not
// stored; learned ones are; lm_head only when untied).
std::vector<TensorShape> ExpectedTensors(const CheckpointLayout& layout,
                                         const ModelConfig& config);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSFORMER_CHECKPOINT_LAYOUT_H_
