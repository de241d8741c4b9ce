#include "server/request_validator.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/status_macros.h"
#include "server/utf8.h"

namespace glossa::server {
namespace {

RequestLimits CapLimits(RequestLimits limits,
                        const model::ModelConfig& config) {
  const int model_max = std::max(1, config.max_position_embeddings);
  limits.max_input_tokens = std::min(limits.max_input_tokens, model_max);
  limits.max_output_tokens = std::min(limits.max_output_tokens, model_max);
  return limits;
}

absl::Status OutOfRange(absl::string_view field, absl::string_view range,
                        absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must be in ", range, ", got ", value));
}

absl::Status CheckIntRange(absl::string_view field, int64_t value, int64_t low,
                           int64_t high, absl::string_view note = "") {
  if (value >= low && value <= high) return absl::OkStatus();
  return OutOfRange(field, absl::StrCat("[", low, ", ", high, "]", note),
                    absl::StrCat(value));
}

uint64_t RandomSeed() {
  thread_local absl::BitGen bitgen;
  return absl::Uniform<uint64_t>(bitgen);
}

absl::Status CheckUtf8(absl::string_view field, absl::string_view text) {
  size_t offset = 0;
  if (IsValidUtf8(text, &offset)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s is not valid UTF-8 (byte 0x%02X at offset %d)", field,
                      static_cast<unsigned char>(text[offset]), offset));
}

}  // namespace

RequestValidator::RequestValidator(const TextCodec* codec,
                                   const model::ModelConfig& config,
                                   const RequestLimits& limits,
                                   std::string model_name)
    : codec_(codec),
      config_(config),
      limits_(CapLimits(limits, config)),
      // Unset means the model's own default (its config's max_length, as
      // the engine's Translator uses it), within the server's limit.
      default_max_output_tokens_(
          std::min(limits_.max_output_tokens,
                   model::EffectiveMaxOutputTokens({}, config))),
      model_name_(std::move(model_name)) {}

absl::Status RequestValidator::CheckModelName(absl::string_view name) const {
  if (name.empty() || name == model_name_) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("model \"", name,
                                          "\" is not served here; served: \"",
                                          model_name_, "\""));
}

absl::StatusOr<std::vector<int>> RequestValidator::Tokenize(
    absl::string_view field, absl::string_view text) const {
  RETURN_IF_ERROR(CheckUtf8(field, text));
  absl::StatusOr<std::vector<int>> ids = codec_->Encode(text);
  if (!ids.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", ids.status().message()));
  }
  if (static_cast<int>(ids->size()) > limits_.max_input_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", ids->size(), " tokens long; at most ",
        limits_.max_input_tokens, " (max_input_tokens) are allowed"));
  }
  return ids;
}

absl::Status RequestValidator::ValidateSampling(
    absl::string_view field, const v1::SamplingOptions& sampling,
    model::DecodingOptions* options) const {
  options->sampling = true;
  options->temperature =
      sampling.has_temperature() ? sampling.temperature() : 1.0f;
  if (!(options->temperature > 0.0f && options->temperature <= 100.0f)) {
    return OutOfRange(absl::StrCat(field, ".temperature"), "(0, 100]",
                      absl::StrCat(options->temperature));
  }
  options->top_k = sampling.top_k();
  RETURN_IF_ERROR(CheckIntRange(absl::StrCat(field, ".top_k"), options->top_k,
                                0, config_.vocab_size, " (0 = off)"));
  options->top_p = sampling.has_top_p() ? sampling.top_p() : 1.0f;
  if (!(options->top_p > 0.0f && options->top_p <= 1.0f)) {
    return OutOfRange(absl::StrCat(field, ".top_p"), "(0, 1]",
                      absl::StrCat(options->top_p));
  }
  options->seed = sampling.has_seed() ? sampling.seed() : RandomSeed();
  return absl::OkStatus();
}

absl::Status RequestValidator::ValidateLengths(
    absl::string_view max_field, bool has_max, int max,
    absl::string_view min_field, bool has_min, int min,
    model::DecodingOptions* options) const {
  options->max_output_tokens = has_max ? max : default_max_output_tokens_;
  RETURN_IF_ERROR(CheckIntRange(max_field, options->max_output_tokens, 1,
                                limits_.max_output_tokens));
  options->min_output_tokens = has_min ? min : 0;
  return CheckIntRange(min_field, options->min_output_tokens, 0,
                       options->max_output_tokens,
                       absl::StrCat(" (0 to ", max_field, ")"));
}

absl::StatusOr<ValidatedTranslate> RequestValidator::ValidateTranslate(
    const v1::TranslateRequest& request) const {
  RETURN_IF_ERROR(CheckModelName(request.model()));
  const int count = request.segments_size();
  if (count < 1 || count > limits_.max_segments) {
    return absl::InvalidArgumentError(
        absl::StrCat("segments must hold 1 to ", limits_.max_segments,
                     " texts (max_segments), got ", count));
  }

  ValidatedTranslate validated;
  const v1::TranslateOptions& in = request.options();
  model::DecodingOptions& options = validated.options;
  // Unset: the model's own default (config.json num_beams, as Hugging Face
  // generate() uses it) within the server's limit; 1 when sampling.
  options.beam_size =
      in.has_beam_size()
          ? in.beam_size()
          : (in.has_sampling()
                 ? 1
                 : std::clamp(config_.num_beams, 1, limits_.max_beam_size));
  RETURN_IF_ERROR(CheckIntRange("options.beam_size", options.beam_size, 1,
                                limits_.max_beam_size));
  options.num_hypotheses = in.has_num_hypotheses() ? in.num_hypotheses() : 1;
  RETURN_IF_ERROR(CheckIntRange("options.num_hypotheses",
                                options.num_hypotheses, 1, options.beam_size,
                                " (1 to options.beam_size)"));
  options.length_penalty = in.has_length_penalty() ? in.length_penalty() : 1;
  if (!(options.length_penalty >= -10.0f && options.length_penalty <= 10.0f)) {
    return OutOfRange("options.length_penalty", "[-10, 10]",
                      absl::StrCat(options.length_penalty));
  }
  RETURN_IF_ERROR(ValidateLengths(
      "options.max_output_tokens", in.has_max_output_tokens(),
      in.max_output_tokens(), "options.min_output_tokens",
      in.has_min_output_tokens(), in.min_output_tokens(), &options));
  if (in.has_sampling()) {
    if (options.beam_size != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "options.beam_size must be 1 when options.sampling is set, got ",
          options.beam_size));
    }
    RETURN_IF_ERROR(
        ValidateSampling("options.sampling", in.sampling(), &options));
  }
  validated.return_scores = in.return_scores();
  absl::Status engine_check = model::ValidateDecodingOptions(
      options, config_,
      model::DecodingLimits{limits_.max_beam_size, limits_.max_output_tokens});
  if (!engine_check.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("options: ", engine_check.message()));
  }

  validated.segments.resize(count);
  for (int i = 0; i < count; ++i) {
    const std::string field = absl::StrCat("segments[", i, "]");
    const std::string& text = request.segments(i);
    RETURN_IF_ERROR(CheckUtf8(field, text));
    if (IsBlank(text)) {
      validated.segments[i].blank = true;
      continue;
    }
    ASSIGN_OR_RETURN(validated.segments[i].source_ids, Tokenize(field, text));
  }
  return validated;
}

absl::StatusOr<ValidatedGenerate> RequestValidator::ValidateGenerate(
    const v1::GenerateRequest& request) const {
  RETURN_IF_ERROR(CheckModelName(request.model()));
  ValidatedGenerate validated;
  model::DecodingOptions& options = validated.options;
  RETURN_IF_ERROR(ValidateLengths(
      "max_new_tokens", request.has_max_new_tokens(), request.max_new_tokens(),
      "min_new_tokens", request.has_min_new_tokens(), request.min_new_tokens(),
      &options));
  if (request.has_sampling()) {
    RETURN_IF_ERROR(ValidateSampling("sampling", request.sampling(), &options));
  }
  const int stops = request.stop_size();
  if (stops > limits_.max_stop_sequences) {
    return absl::InvalidArgumentError(absl::StrCat("stop must hold at most ",
                                                   limits_.max_stop_sequences,
                                                   " strings, got ", stops));
  }
  for (int i = 0; i < stops; ++i) {
    const std::string field = absl::StrCat("stop[", i, "]");
    const std::string& stop = request.stop(i);
    RETURN_IF_ERROR(CheckUtf8(field, stop));
    RETURN_IF_ERROR(CheckIntRange(absl::StrCat(field, " length in bytes"),
                                  stop.size(), 1,
                                  limits_.max_stop_sequence_bytes));
    validated.stop.push_back(stop);
  }
  absl::Status engine_check = model::ValidateDecodingOptions(
      options, config_,
      model::DecodingLimits{limits_.max_beam_size, limits_.max_output_tokens});
  if (!engine_check.ok()) {
    return absl::InvalidArgumentError(engine_check.message());
  }

  RETURN_IF_ERROR(CheckUtf8("text", request.text()));
  if (IsBlank(request.text())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text must contain at least one non-whitespace character, got ",
        request.text().empty() ? "an empty string" : "only white space"));
  }
  ASSIGN_OR_RETURN(validated.source_ids, Tokenize("text", request.text()));
  return validated;
}

}  // namespace glossa::server
