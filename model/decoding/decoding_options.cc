#include "model/decoding/decoding_options.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace glossa::model {
namespace {

template <typename T>
absl::Status OutOfRange(const std::string& field, absl::string_view range,
                        T value, absl::string_view note = "") {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must be in ", range, note, ", got ", value));
}

absl::Status CheckRange(const std::string& field, int64_t value, int64_t low,
                        int64_t high, absl::string_view note = "") {
  if (value >= low && value <= high) return absl::OkStatus();
  return OutOfRange(field, absl::StrCat("[", low, ", ", high, "]"), value,
                    note);
}

}  // namespace

OptionFieldNames OptionFieldNames::WithPrefix(const std::string& prefix) {
  OptionFieldNames names;
  for (std::string* name :
       {&names.beam_size, &names.num_hypotheses, &names.length_penalty,
        &names.max_output_tokens, &names.min_output_tokens, &names.sampling,
        &names.repetition_penalty, &names.no_repeat_ngram_size}) {
    *name = prefix + *name;
  }
  for (std::string* name : {&names.temperature, &names.top_k, &names.top_p}) {
    *name = absl::StrCat(names.sampling, ".", *name);
  }
  return names;
}

int EffectiveMaxOutputTokens(const DecodingOptions& options,
                             const ModelConfig& config) {
  const int model_limit = std::min(config.generation.max_length - 1,
                                   config.max_position_embeddings);
  if (options.max_output_tokens <= 0) return std::max(1, model_limit);
  return options.max_output_tokens;
}

absl::Status ValidateDecodingOptions(const DecodingOptions& options,
                                     const ModelConfig& config,
                                     const DecodingLimits& limits,
                                     const OptionFieldNames& fields) {
  if (absl::Status s = CheckRange(fields.beam_size, options.beam_size, 1,
                                  limits.max_beam_size);
      !s.ok()) {
    return s;
  }
  if (options.sampling && options.beam_size != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(fields.beam_size, " must be 1 when ", fields.sampling,
                     " is set, got ", options.beam_size));
  }
  if (absl::Status s = CheckRange(
          fields.num_hypotheses, options.num_hypotheses, 1, options.beam_size,
          absl::StrCat(" (1 to ", fields.beam_size, ")"));
      !s.ok()) {
    return s;
  }
  if (!(options.length_penalty >= -10.0f && options.length_penalty <= 10.0f)) {
    return OutOfRange(fields.length_penalty, "[-10, 10]",
                      options.length_penalty);
  }
  if (!(options.repetition_penalty > 0.0f &&
        options.repetition_penalty <= 100.0f)) {
    return OutOfRange(fields.repetition_penalty, "(0, 100]",
                      options.repetition_penalty, " (1 = off)");
  }
  if (absl::Status s =
          CheckRange(fields.no_repeat_ngram_size, options.no_repeat_ngram_size,
                     0, limits.max_no_repeat_ngram_size, " (0 = off)");
      !s.ok()) {
    return s;
  }
  int max_allowed = config.max_position_embeddings;
  if (limits.max_output_tokens > 0) {
    max_allowed = std::min(max_allowed, limits.max_output_tokens);
  }
  if (absl::Status s = CheckRange(fields.max_output_tokens,
                                  options.max_output_tokens, 1, max_allowed);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckRange(fields.min_output_tokens, options.min_output_tokens, 0,
                     options.max_output_tokens,
                     absl::StrCat(" (0 to ", fields.max_output_tokens, ")"));
      !s.ok()) {
    return s;
  }
  for (int id : options.forced_prefix) {
    if (id < 0 || id >= config.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "forced token id ", id, " is outside the vocabulary of size ",
          config.vocab_size));
    }
  }
  if (!options.forced_prefix.empty() &&
      options.max_output_tokens <=
          static_cast<int>(options.forced_prefix.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(fields.max_output_tokens, " must be at least ",
                     options.forced_prefix.size() + 1,
                     " for this model: its output starts with ",
                     options.forced_prefix.size(),
                     " forced token(s) (the target language), got ",
                     options.max_output_tokens));
  }
  if (!options.sampling) return absl::OkStatus();
  if (!(options.temperature > 0.0f && options.temperature <= 100.0f)) {
    return OutOfRange(fields.temperature, "(0, 100]", options.temperature);
  }
  if (absl::Status s = CheckRange(fields.top_k, options.top_k, 0,
                                  config.vocab_size, " (0 = off)");
      !s.ok()) {
    return s;
  }
  if (!(options.top_p > 0.0f && options.top_p <= 1.0f)) {
    return OutOfRange(fields.top_p, "(0, 1]", options.top_p);
  }
  return absl::OkStatus();
}

}  // namespace glossa::model
