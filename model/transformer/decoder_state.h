#ifndef GLOSSA_MODEL_TRANSFORMER_DECODER_STATE_H_
#define GLOSSA_MODEL_TRANSFORMER_DECODER_STATE_H_

#include <cstddef>
#include <vector>

// The per-sequence state the forward pass reads and writes. It belongs to
// the caller (the batch decoder), never to the const Model.
namespace glossa::model {

// One source sentence after the encoder: what every decoder step needs.
// Keys are stored transposed so that a decoder query scores all positions
// with contiguous, vectorised loops.
struct EncodedSource {
  int length = 0;
  // Cross-attention keys of every decoder layer, computed once:
  // [decoder_layers][width][key_stride] (zero-padded past length), where
  // width is the attention's inner dimension (heads * head_dim, d_model in
  // every family but T5).
  std::vector<float> cross_keys;
  int key_stride = 0;
  // Cross-attention values: [decoder_layers][length][width].
  std::vector<float> cross_values;
  // Final encoder hidden states [length, d_model], kept only on request.
  std::vector<float> hidden;
};

// Self-attention keys/values of one decoder row (one hypothesis), grown by
// one position per DecodeStep. Keys [layer][width][capacity] (transposed),
// values [layer][capacity][width] (width: the attention's inner
// dimension); capacity doubles when exceeded.
struct DecoderCache {
  std::vector<float> keys;
  std::vector<float> values;
  int length = 0;    // tokens already fed to the decoder
  int capacity = 0;  // positions the buffers hold

  size_t bytes() const {
    return (keys.capacity() + values.capacity()) * sizeof(float);
  }
  // Makes room for `positions` positions, keeping what is cached.
  void Reserve(int positions, int layers, int width);
  // Becomes a copy of `other` (the cached positions only), reusing this
  // cache's buffers when they are large enough.
  void CopyFrom(const DecoderCache& other, int layers, int width);
};

struct DecoderRow {
  int token = 0;                  // input token for this step
  DecoderCache* cache = nullptr;  // appended to
  const EncodedSource* source = nullptr;
  // Word alignment: when set, receives this step's cross-attention weights
  // over the source positions (source->length values) in decoder layer
  // `attention_layer`, averaged over its heads.
  float* attention = nullptr;
  int attention_layer = -1;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSFORMER_DECODER_STATE_H_
