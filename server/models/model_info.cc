#include "server/models/model_info.h"

#include <vector>

#include "server/requests/model_languages.h"

#ifndef GLOSSA_VERSION
#define GLOSSA_VERSION "dev"
#endif

namespace glossa::server {
const char* ServerVersion() { return GLOSSA_VERSION; }

namespace {

const char* PositionsName(model::PositionEncoding positions) {
  switch (positions) {
    case model::PositionEncoding::kSinusoidal:
      return "sinusoidal";
    case model::PositionEncoding::kFairseqSinusoidal:
      return "fairseq_sinusoidal";
    case model::PositionEncoding::kLearned:
      return "learned";
    case model::PositionEncoding::kRelativeBuckets:
      return "relative_buckets";
  }
  return "unknown";
}

}  // namespace

v1::ModelInfo DescribeModel(const std::string& name,
                            const model::ModelConfig& config,
                            const model::LanguageTokens& languages,
                            const model::DecodingOptions& defaults,
                            model::ComputeType compute_type,
                            const RequestLimits& limits,
                            const SchedulerOptions& scheduler,
                            int64_t max_message_bytes) {
  v1::ModelInfo info;
  info.set_name(name);
  info.set_architecture(config.model_type);
  v1::ModelShape* shape = info.mutable_shape();
  shape->set_d_model(config.d_model);
  shape->set_encoder_layers(config.encoder_layers);
  shape->set_decoder_layers(config.decoder_layers);
  shape->set_encoder_attention_heads(config.encoder_attention_heads);
  shape->set_decoder_attention_heads(config.decoder_attention_heads);
  shape->set_encoder_ffn_dim(config.encoder_ffn_dim);
  shape->set_decoder_ffn_dim(config.decoder_ffn_dim);
  shape->set_activation(
      std::string(model::ActivationName(config.architecture.activation)));
  shape->set_normalize_before(config.architecture.pre_norm);
  shape->set_max_position_embeddings(config.max_position_embeddings);
  shape->set_head_dim(config.HeadDim(config.encoder_attention_heads));
  shape->set_norm(config.architecture.norm == model::NormKind::kRmsNorm
                      ? "rms_norm"
                      : "layer_norm");
  shape->set_gated_ffn(config.architecture.gated_ffn);
  shape->set_positions(PositionsName(config.architecture.positions));
  v1::GenerationDefaults* generation = info.mutable_generation_defaults();
  generation->set_beam_size(defaults.beam_size);
  generation->set_max_output_tokens(defaults.max_output_tokens);
  generation->set_min_output_tokens(defaults.min_output_tokens);
  generation->set_length_penalty(defaults.length_penalty);
  generation->set_no_repeat_ngram_size(defaults.no_repeat_ngram_size);
  generation->set_repetition_penalty(defaults.repetition_penalty);
  generation->set_early_stopping(defaults.early_stopping);
  generation->set_decoder_start_token_id(config.decoder_start_token_id);
  generation->set_forced_bos_token_id(config.forced_bos_token_id);
  info.set_vocab_size(config.vocab_size);
  info.set_compute_type(std::string(model::ComputeTypeName(compute_type)));
  DescribeModelLanguages(name, languages, &info);
  info.set_eos_token_id(config.eos_token_id);
  info.set_pad_token_id(config.pad_token_id);
  v1::ServingLimits* out = info.mutable_limits();
  out->set_max_segments(limits.max_segments);
  out->set_max_input_tokens(limits.max_input_tokens);
  out->set_max_output_tokens(limits.max_output_tokens);
  out->set_max_beam_size(limits.max_beam_size);
  out->set_max_batch_size(scheduler.max_batch_size);
  out->set_max_batch_tokens(scheduler.max_batch_tokens);
  out->set_max_message_bytes(max_message_bytes);
  out->set_max_stop_sequences(limits.max_stop_sequences);
  out->set_max_stop_sequence_bytes(limits.max_stop_sequence_bytes);
  info.set_version(ServerVersion());
  return info;
}

}  // namespace glossa::server
