#include "model/transformer/checkpoint_layout.h"

#include "absl/strings/str_cat.h"

namespace glossa::model {

std::string CheckpointLayout::EncoderLayer(int layer,
                                           absl::string_view part) const {
  return absl::StrCat(encoder_layer_prefix, layer, ".", part);
}

std::string CheckpointLayout::DecoderLayer(int layer,
                                           absl::string_view part) const {
  return absl::StrCat(decoder_layer_prefix, layer, ".", part);
}

std::string CheckpointLayout::Join(absl::string_view a, absl::string_view b) {
  return absl::StrCat(a, ".", b);
}

CheckpointLayout BartStyleLayout() {
  CheckpointLayout layout;
  layout.encoder_embeddings = {"model.shared.weight",
                               "model.encoder.embed_tokens.weight"};
  layout.decoder_embeddings = "model.decoder.embed_tokens.weight";
  layout.encoder_positions = "model.encoder.embed_positions.weight";
  layout.decoder_positions = "model.decoder.embed_positions.weight";
  layout.encoder_embedding_norm = "model.encoder.layernorm_embedding";
  layout.decoder_embedding_norm = "model.decoder.layernorm_embedding";
  layout.encoder_layer_prefix = "model.encoder.layers.";
  layout.decoder_layer_prefix = "model.decoder.layers.";
  layout.self_attention = "self_attn";
  layout.cross_attention = "encoder_attn";
  layout.query = "q_proj";
  layout.key = "k_proj";
  layout.value = "v_proj";
  layout.attention_output = "out_proj";
  layout.self_attention_norm = "self_attn_layer_norm";
  layout.cross_attention_norm = "encoder_attn_layer_norm";
  layout.encoder_ffn = {"fc1", "", "fc2", "final_layer_norm"};
  layout.decoder_ffn = layout.encoder_ffn;
  layout.encoder_final_norm = "model.encoder.layer_norm";
  layout.decoder_final_norm = "model.decoder.layer_norm";
  layout.lm_head = "lm_head.weight";
  layout.final_logits_bias = "final_logits_bias";
  return layout;
}

std::vector<TensorShape> ExpectedTensors(const CheckpointLayout& layout,
                                         const ModelConfig& c) {
  const Architecture& a = c.architecture;
  const int64_t d = c.d_model;
  std::vector<TensorShape> list = {
      {layout.encoder_embeddings.front(), {c.vocab_size, d}}};
  if (!c.share_encoder_decoder_embeddings) {
    list.push_back({layout.decoder_embeddings, {c.vocab_size, d}});
  }
  if (!c.tie_word_embeddings)
    list.push_back({layout.lm_head, {c.vocab_size, d}});
  if (!layout.final_logits_bias.empty()) {
    list.push_back({layout.final_logits_bias, {1, c.vocab_size}});
  }
  const auto linear = [&](const std::string& prefix, int64_t out, int64_t in) {
    list.push_back({prefix + ".weight", {out, in}});
    if (a.linear_biases) list.push_back({prefix + ".bias", {out}});
  };
  const auto norm = [&](const std::string& prefix) {
    list.push_back({prefix + ".weight", {d}});
    if (a.norm == NormKind::kLayerNorm) list.push_back({prefix + ".bias", {d}});
  };
  const auto attention = [&](const std::string& prefix, int heads) {
    const int64_t inner = c.AttentionDim(heads);
    for (const std::string* projection :
         {&layout.query, &layout.key, &layout.value}) {
      linear(CheckpointLayout::Join(prefix, *projection), inner, d);
    }
    linear(CheckpointLayout::Join(prefix, layout.attention_output), d, inner);
  };
  const auto feed_forward = [&](const FeedForwardNames& names,
                                const std::string& layer, int64_t ffn_dim) {
    if (a.gated_ffn) linear(layer + names.gate, ffn_dim, d);
    linear(layer + names.in, ffn_dim, d);
    linear(layer + names.out, d, ffn_dim);
    norm(layer + names.norm);
  };
  if (a.positions == PositionEncoding::kLearned) {
    const int64_t rows = c.max_position_embeddings + kLearnedPositionOffset;
    list.push_back({layout.encoder_positions, {rows, d}});
    list.push_back({layout.decoder_positions, {rows, d}});
  }
  if (a.positions == PositionEncoding::kRelativeBuckets) {
    list.push_back({layout.encoder_relative_bias,
                    {a.relative_buckets, c.encoder_attention_heads}});
    list.push_back({layout.decoder_relative_bias,
                    {a.relative_buckets, c.decoder_attention_heads}});
  }
  if (a.embedding_norm) {
    norm(layout.encoder_embedding_norm);
    norm(layout.decoder_embedding_norm);
  }
  for (int i = 0; i < c.encoder_layers; ++i) {
    attention(layout.EncoderLayer(i, layout.self_attention),
              c.encoder_attention_heads);
    norm(layout.EncoderLayer(i, layout.self_attention_norm));
    feed_forward(layout.encoder_ffn, layout.EncoderLayer(i, ""),
                 c.encoder_ffn_dim);
  }
  for (int i = 0; i < c.decoder_layers; ++i) {
    attention(layout.DecoderLayer(i, layout.self_attention),
              c.decoder_attention_heads);
    norm(layout.DecoderLayer(i, layout.self_attention_norm));
    attention(layout.DecoderLayer(i, layout.cross_attention),
              c.decoder_attention_heads);
    norm(layout.DecoderLayer(i, layout.cross_attention_norm));
    feed_forward(layout.decoder_ffn, layout.DecoderLayer(i, ""),
                 c.decoder_ffn_dim);
  }
  if (a.final_norms) {
    norm(layout.encoder_final_norm);
    norm(layout.decoder_final_norm);
  }
  return list;
}

}  // namespace glossa::model
