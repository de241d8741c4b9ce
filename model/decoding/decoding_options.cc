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
        &names.repetition_penalty, &names.no_repeat_ngram_size,
        &names.target_prefix, &names.constraints, &names.alignment_layer,
        &names.token_alternatives}) {
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

int EffectiveAlignmentLayer(const DecodingOptions& options,
                            const ModelConfig& config) {
  if (options.alignment_layer >= 0) return options.alignment_layer;
  return config.decoder_layers - 1;
}

std::vector<int> ForcedTokens(const DecodingOptions& options) {
  std::vector<int> forced = options.forced_prefix;
  forced.insert(forced.end(), options.target_prefix.begin(),
                options.target_prefix.end());
  return forced;
}

namespace {

absl::Status CheckIds(const std::string& field, const std::vector<int>& ids,
                      const ModelConfig& config) {
  for (const int id : ids) {
    if (id < 0 || id >= config.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": token id ", id, " is outside the vocabulary of size ",
          config.vocab_size));
    }
    if (id == config.eos_token_id) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " may not hold end-of-sentence (id ", id, ")"));
    }
  }
  return absl::OkStatus();
}

// Whether `ids` holds some n-gram twice: with no_repeat_ngram_size n, a
// term that does can never be written.
bool RepeatsAnNgram(const std::vector<int>& ids, int n) {
  if (n <= 0) return false;
  for (size_t a = 0; a + n <= ids.size(); ++a) {
    for (size_t b = a + 1; b + n <= ids.size(); ++b) {
      if (std::equal(ids.begin() + a, ids.begin() + a + n, ids.begin() + b)) {
        return true;
      }
    }
  }
  return false;
}

// Target prefix and terminology: what the output must hold has to fit in
// it, and terminology needs beams to allocate.
absl::Status ValidateForcedOutput(const DecodingOptions& options,
                                  const ModelConfig& config,
                                  const DecodingLimits& limits,
                                  const OptionFieldNames& fields) {
  if (absl::Status s =
          CheckIds(fields.target_prefix, options.target_prefix, config);
      !s.ok()) {
    return s;
  }
  const int forced = static_cast<int>(options.forced_prefix.size());
  const int prefix = static_cast<int>(options.target_prefix.size());
  if (prefix > 0 && options.max_output_tokens <= forced + prefix) {
    return absl::InvalidArgumentError(absl::StrCat(
        fields.target_prefix, " is ", prefix, " token(s)",
        forced > 0
            ? absl::StrCat(" after ", forced, " forced language token(s)")
            : "",
        ": ", fields.max_output_tokens, " must be at least ",
        forced + prefix + 1, ", got ", options.max_output_tokens));
  }
  if (options.constraints.empty()) return absl::OkStatus();
  if (options.beam_size < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        fields.constraints, " needs beam search: ", fields.beam_size,
        " must be at least 2, got ", options.beam_size));
  }
  const int count = static_cast<int>(options.constraints.size());
  if (count > limits.max_constraints) {
    return absl::InvalidArgumentError(
        absl::StrCat(fields.constraints, " must hold at most ",
                     limits.max_constraints, " terms, got ", count));
  }
  int total = 0;
  for (int i = 0; i < count; ++i) {
    const std::vector<int>& phrase = options.constraints[i];
    const std::string field = absl::StrCat(fields.constraints, "[", i, "]");
    if (phrase.empty() ||
        static_cast<int>(phrase.size()) > limits.max_constraint_tokens) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must be 1 to ", limits.max_constraint_tokens,
                       " tokens, got ", phrase.size()));
    }
    if (absl::Status s = CheckIds(field, phrase, config); !s.ok()) return s;
    if (RepeatsAnNgram(phrase, options.no_repeat_ngram_size)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " repeats a sequence of ", options.no_repeat_ngram_size,
          " token(s), which ", fields.no_repeat_ngram_size, " ",
          options.no_repeat_ngram_size,
          " forbids: the term could never be written"));
    }
    total += static_cast<int>(phrase.size());
  }
  if (options.max_output_tokens <= forced + prefix + total) {
    return absl::InvalidArgumentError(absl::StrCat(
        fields.constraints, " need ", total, " output token(s)",
        forced + prefix > 0
            ? absl::StrCat(" after ", forced + prefix, " forced token(s)")
            : "",
        ": ", fields.max_output_tokens, " must be at least ",
        forced + prefix + total + 1, ", got ", options.max_output_tokens));
  }
  return absl::OkStatus();
}

}  // namespace

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
  if (absl::Status s = ValidateForcedOutput(options, config, limits, fields);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckRange(fields.token_alternatives, options.token_alternatives, 0,
                     limits.max_token_alternatives, " (0 = none)");
      !s.ok()) {
    return s;
  }
  if (options.token_alternatives > 0 && options.beam_size > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(fields.token_alternatives,
                     " needs greedy search or sampling (", fields.beam_size,
                     " 1), got ", fields.beam_size, " ", options.beam_size));
  }
  if (absl::Status s =
          CheckRange(fields.alignment_layer, options.alignment_layer, -1,
                     config.decoder_layers - 1, " (-1: the last)");
      !s.ok()) {
    return s;
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
