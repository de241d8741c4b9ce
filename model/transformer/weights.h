#ifndef GLOSSA_MODEL_TRANSFORMER_WEIGHTS_H_
#define GLOSSA_MODEL_TRANSFORMER_WEIGHTS_H_

// Internal to the model: the packed weights of each layer.

#include <memory>
#include <vector>

#include "model/kernels/backend.h"
#include "model/transformer/model.h"
#include "model/transformer/positions.h"

namespace glossa::model {

// A LayerNorm's gamma and beta, or an RMSNorm's gamma (beta empty).
struct LayerNormWeights {
  std::vector<float> gamma;
  std::vector<float> beta;
};

struct EncoderLayerWeights {
  std::unique_ptr<PackedLinear> qkv;  // fused [3d]; q pre-scaled
  std::unique_ptr<PackedLinear> attention_out;
  LayerNormWeights attention_norm;
  // Activation fused; a gated FFN packs [gate; in] as one GEMM and applies
  // the activation itself.
  std::unique_ptr<PackedLinear> fc1;
  std::unique_ptr<PackedLinear> fc2;
  LayerNormWeights ffn_norm;
};

struct DecoderLayerWeights {
  std::unique_ptr<PackedLinear> self_qkv;
  std::unique_ptr<PackedLinear> self_out;
  LayerNormWeights self_norm;
  std::unique_ptr<PackedLinear> cross_q;  // pre-scaled
  std::unique_ptr<PackedLinear> cross_out;
  LayerNormWeights cross_norm;
  std::unique_ptr<PackedLinear> fc1;
  std::unique_ptr<PackedLinear> fc2;
  LayerNormWeights ffn_norm;
};

struct Model::Weights {
  std::vector<float> encoder_embeddings;  // [vocab, d]
  std::vector<float> decoder_embeddings;  // empty when shared
  const std::vector<float>& DecoderEmbeddings() const {
    return decoder_embeddings.empty() ? encoder_embeddings : decoder_embeddings;
  }
  PositionTables positions;  // [max_positions, d], added to embeddings
  // Architecture::embedding_norm only.
  LayerNormWeights encoder_embedding_norm;
  LayerNormWeights decoder_embedding_norm;
  std::vector<EncoderLayerWeights> encoder_layers;
  std::vector<DecoderLayerWeights> decoder_layers;
  // Cross-attention K and V of every decoder layer in one GEMM.
  std::unique_ptr<PackedLinear> cross_kv;
  std::unique_ptr<PackedLinear> lm_head;  // + final_logits_bias
  // Architecture::final_norms only.
  LayerNormWeights encoder_final_norm;
  LayerNormWeights decoder_final_norm;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSFORMER_WEIGHTS_H_
