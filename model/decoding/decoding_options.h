#ifndef GLOSSA_MODEL_DECODING_DECODING_OPTIONS_H_
#define GLOSSA_MODEL_DECODING_DECODING_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "model/io/config.h"

namespace glossa::model {

// How one source sentence is decoded. Defaults follow Hugging Face's
// generate() for Marian models, so that the same tokens come out;
// Engine::DefaultOptions() gives the model's own (num_beams, max_length).
struct DecodingOptions {
  // Beam width. 1 = greedy (or sampling when `sampling` is set).
  int beam_size = 1;
  // Hypotheses returned per source, best first. Must be <= beam_size
  // (or exactly 1 when sampling).
  int num_hypotheses = 1;
  // Beam score = sum(logprobs) / (generated_length ^ length_penalty).
  float length_penalty = 1.0f;
  // Output length bounds in generated tokens, excluding the decoder start
  // token and including the final EOS. max 0 is "not set": the validator
  // refuses it, so callers start from Engine::DefaultOptions(); the batch
  // decoder and Engine::Translate take it as EffectiveMaxOutputTokens.
  int max_output_tokens = 0;
  int min_output_tokens = 0;
  // Random sampling instead of argmax / beam search.
  bool sampling = false;
  // Sampling controls: temperature in (0, 100]; top_k 0 = off; top_p in
  // (0, 1].
  float temperature = 1.0f;
  int top_k = 0;
  float top_p = 1.0f;
  // Seed of this sequence's own generator: the same seed gives the same
  // output whether the sequence is decoded alone or batched with others.
  uint64_t seed = 0;
  // Tokens the output starts with, forced (not chosen; in beam search they
  // add 0 to the score, as Hugging Face's ForcedBOSTokenLogitsProcessor):
  // the target language of NLLB / M2M100 / mBART-50, or the config's
  // forced_bos_token_id. Part of the hypotheses' tokens.
  std::vector<int> forced_prefix;
  // The caller's own start of the output (a target prefix: interactive
  // translation, autocompletion), forced after forced_prefix the same way:
  // every beam starts from it, and it is part of the hypotheses' tokens.
  std::vector<int> target_prefix;
  // Phrases (target token ids) every hypothesis must contain: terminology.
  // Beam search only, with Post & Vilar's dynamic beam allocation
  // (constraints.h); end-of-sentence is banned until all are met, except
  // at the length limit.
  std::vector<std::vector<int>> constraints;
  // Word alignment: each generated token's source position, the argmax of
  // the cross-attention weights of decoder layer `alignment_layer`
  // averaged over its heads (-1: the last layer, CTranslate2's default for
  // return_attention; on the bundled model it aligns better than the
  // earlier ones, whose argmax lags a word behind).
  bool return_alignments = false;
  int alignment_layer = -1;
  // Greedy search and sampling: for every generated token, the this many
  // most likely tokens of its step under the model's distribution (before
  // the generation rules), with their log-probabilities. Beam search keeps
  // no such record per beam: the validator refuses it there.
  int token_alternatives = 0;
  // Hugging Face's RepetitionPenaltyLogitsProcessor: every token already in
  // the decoder sequence (start token included) has its score divided by
  // this when positive, multiplied when negative (raw logits in greedy
  // search and sampling, log-probabilities in beam search). 1 = off.
  float repetition_penalty = 1.0f;
  // NoRepeatNGramLogitsProcessor: no n-gram of this size occurs twice in
  // the decoder sequence. 0 = off.
  int no_repeat_ngram_size = 0;
  // Beam search ends as soon as num_beams hypotheses have finished (Hugging
  // Face's early_stopping=True), instead of when no open beam can beat the
  // worst finished one.
  bool early_stopping = false;
};

// Upper bounds a caller (a server's flags) imposes beyond the model's own.
struct DecodingLimits {
  int max_beam_size = 16;
  int max_output_tokens = 0;  // 0 = the model's max_position_embeddings
  // Repeated-n-gram bans look back over this many tokens at most.
  int max_no_repeat_ngram_size = 16;
  // Terminology: phrases per sequence, and tokens per phrase.
  int max_constraints = 16;
  int max_constraint_tokens = 32;
  int max_token_alternatives = 10;
};

// What each option is called in the caller's API, so that one validator
// serves every front-end and its messages still name the caller's fields
// (the server passes "options.beam_size", Generate "max_new_tokens").
struct OptionFieldNames {
  std::string beam_size = "beam_size";
  std::string num_hypotheses = "num_hypotheses";
  std::string length_penalty = "length_penalty";
  std::string max_output_tokens = "max_output_tokens";
  std::string min_output_tokens = "min_output_tokens";
  std::string sampling = "sampling";
  std::string temperature = "temperature";
  std::string top_k = "top_k";
  std::string top_p = "top_p";
  std::string repetition_penalty = "repetition_penalty";
  std::string no_repeat_ngram_size = "no_repeat_ngram_size";
  std::string target_prefix = "target_prefix";
  std::string constraints = "constraints";
  std::string alignment_layer = "alignment_layer";
  std::string token_alternatives = "token_alternatives";

  // Every name with `prefix` in front ("options." -> "options.beam_size");
  // the sampling controls also get the sampling name ("options.sampling.").
  static OptionFieldNames WithPrefix(const std::string& prefix);
};

// The one check of decoding options: InvalidArgument naming the field, the
// value and the allowed range ("options.beam_size must be in [1, 8], got
// 9").
absl::Status ValidateDecodingOptions(const DecodingOptions& options,
                                     const ModelConfig& config,
                                     const DecodingLimits& limits = {},
                                     const OptionFieldNames& fields = {});

// max_output_tokens with 0 ("not set") resolved to the model's default:
// its max_length (which counts the decoder start token, as Hugging Face's
// does), within max_position_embeddings. The one owner of that default.
int EffectiveMaxOutputTokens(const DecodingOptions& options,
                             const ModelConfig& config);

// The decoder layer alignments are read from (alignment_layer resolved).
int EffectiveAlignmentLayer(const DecodingOptions& options,
                            const ModelConfig& config);

// forced_prefix then target_prefix: every token the output starts with.
std::vector<int> ForcedTokens(const DecodingOptions& options);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_DECODING_DECODING_OPTIONS_H_
