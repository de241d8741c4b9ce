#include "server/requests/request_validator.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "server/requests/controlled_decoding.h"

namespace glossa::server {
namespace {

RequestLimits CapLimits(RequestLimits limits, const model::Engine& engine) {
  const int model_max = engine.max_input_tokens();
  limits.max_input_tokens = std::min(limits.max_input_tokens, model_max);
  limits.max_output_tokens = std::min(limits.max_output_tokens, model_max);
  return limits;
}

absl::Status CheckCount(absl::string_view what, int count, int low, int high,
                        absl::string_view flag) {
  if (count >= low && count <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, " must hold ", low, " to ", high, " ", flag, ", got ", count));
}

uint64_t RandomSeed() {
  thread_local absl::BitGen bitgen;
  return absl::Uniform<uint64_t>(bitgen);
}

// The proto paths of Generate's options (Translate's are
// OptionFieldNames::WithPrefix("options.")).
model::OptionFieldNames GenerateFields() {
  model::OptionFieldNames fields = model::OptionFieldNames::WithPrefix("");
  fields.max_output_tokens = "max_new_tokens";
  fields.min_output_tokens = "min_new_tokens";
  return fields;
}

}  // namespace

RequestValidator::RequestValidator(std::shared_ptr<const model::Engine> engine,
                                   const RequestLimits& limits,
                                   std::string model_name)
    : engine_(std::move(engine)),
      limits_(CapLimits(limits, *engine_)),
      defaults_(engine_->DefaultOptions(decoding_limits())),
      model_name_(std::move(model_name)),
      named_pair_(LanguagePairOfName(model_name_)) {}

absl::StatusOr<model::LanguageChoice> RequestValidator::ResolveLanguages(
    absl::string_view source, absl::string_view target) const {
  model::LanguageRequest request;
  request.source = std::string(source);
  request.target = std::string(target);
  if (engine_->languages().codes.empty() && !named_pair_.source.empty()) {
    const auto check = [&](absl::string_view field, absl::string_view given,
                           const std::string& served) -> absl::Status {
      if (given.empty() || SameLanguage(given, served)) {
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrCat(
          field, " '", base::ShortForMessage(given),
          "' is not served: model \"", model_name_, "\" translates ",
          named_pair_.source, " to ", named_pair_.target));
    };
    RETURN_IF_ERROR(check(request.source_field, source, named_pair_.source));
    RETURN_IF_ERROR(check(request.target_field, target, named_pair_.target));
    return model::LanguageChoice();
  }
  return engine_->ResolveLanguages(request);
}

model::DecodingLimits RequestValidator::decoding_limits() const {
  return model::DecodingLimits{limits_.max_beam_size,
                               limits_.max_output_tokens};
}

void RequestValidator::ReadSampling(const v1::SamplingOptions& sampling,
                                    model::DecodingOptions* options) const {
  options->sampling = true;
  options->temperature =
      sampling.has_temperature() ? sampling.temperature() : 1.0f;
  options->top_k = sampling.top_k();
  options->top_p = sampling.has_top_p() ? sampling.top_p() : 1.0f;
  options->seed = sampling.has_seed() ? sampling.seed() : RandomSeed();
}

std::string RequestValidator::DocumentLanguage(
    absl::string_view requested) const {
  if (!requested.empty()) return std::string(requested);
  if (!named_pair_.source.empty()) return named_pair_.source;
  return engine_->languages().default_source;
}

absl::StatusOr<ValidatedTranslate> RequestValidator::ValidateTranslate(
    const v1::TranslateRequest& request) const {
  return ValidateTranslate(request, limits_.max_segments);
}

absl::StatusOr<ValidatedTranslate> RequestValidator::ValidateTranslate(
    const v1::TranslateRequest& request, int max_segments) const {
  const int count = request.segments_size();
  RETURN_IF_ERROR(
      CheckCount("segments", count, 1, max_segments, "texts (max_segments)"));

  ValidatedTranslate validated;
  const v1::TranslateOptions& in = request.options();
  model::DecodingOptions& options = validated.options;
  // Unset fields keep the model's defaults (Engine::DefaultOptions); beam
  // search is off when sampling.
  options = defaults_;
  if (in.has_sampling()) {
    options.beam_size = 1;
    ReadSampling(in.sampling(), &options);
  }
  if (in.has_beam_size()) options.beam_size = in.beam_size();
  if (in.has_num_hypotheses()) options.num_hypotheses = in.num_hypotheses();
  if (in.has_length_penalty()) options.length_penalty = in.length_penalty();
  if (in.has_max_output_tokens()) {
    options.max_output_tokens = in.max_output_tokens();
  }
  if (in.has_min_output_tokens()) {
    options.min_output_tokens = in.min_output_tokens();
  } else {
    // The model's min_length yields to a shorter limit the caller set.
    options.min_output_tokens =
        std::min(options.min_output_tokens, options.max_output_tokens);
  }
  if (in.has_repetition_penalty()) {
    options.repetition_penalty = in.repetition_penalty();
  }
  if (in.has_no_repeat_ngram_size()) {
    options.no_repeat_ngram_size = in.no_repeat_ngram_size();
  }
  if (in.has_early_stopping()) options.early_stopping = in.early_stopping();
  options.return_alignments = in.return_alignments();
  if (in.has_alignment_layer()) options.alignment_layer = in.alignment_layer();
  options.token_alternatives = in.token_alternatives();
  ASSIGN_OR_RETURN(
      validated.languages,
      ResolveLanguages(request.source_language(), request.target_language()));
  if (!validated.languages.forced_target.empty()) {
    options.forced_prefix = validated.languages.forced_target;
  }
  RETURN_IF_ERROR(engine_->ValidateOptions(
      options, decoding_limits(),
      model::OptionFieldNames::WithPrefix("options.")));
  validated.return_scores = in.return_scores();
  validated.return_token_logprobs = in.return_token_logprobs();

  validated.cacheable = (!in.has_use_cache() || in.use_cache()) &&
                        !(options.sampling && !in.sampling().has_seed());

  validated.segments.resize(count);
  for (int i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(validated.segments[i],
                     engine_->CheckSource(
                         absl::StrCat("segments[", i, "]"), request.segments(i),
                         limits_.max_input_tokens, validated.languages));
  }
  RETURN_IF_ERROR(ReadForcedOutput(request, &validated));
  if (options.return_alignments) {
    validated.source_spans.resize(count);
    for (int i = 0; i < count; ++i) {
      if (validated.segments[i].blank) continue;
      absl::StatusOr<std::vector<model::TokenSpan>> spans =
          engine_->SourceSpans(request.segments(i), validated.languages);
      if (!spans.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "options.return_alignments: ", spans.status().message()));
      }
      validated.source_spans[i] = *std::move(spans);
    }
  }
  return validated;
}

absl::Status RequestValidator::ReadForcedOutput(
    const v1::TranslateRequest& request, ValidatedTranslate* validated) const {
  const v1::TranslateOptions& in = request.options();
  const int count = request.segments_size();
  const int prefixes = request.target_prefix_size();
  if (prefixes != 0 && prefixes != count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target_prefix must be empty or hold one entry per segment (", count,
        "), got ", prefixes));
  }
  if (in.terminology_size() > 0 && validated->options.beam_size < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options.terminology needs beam search: options.beam_size must be at "
        "least 2, got ",
        validated->options.beam_size));
  }
  const model::DecodingLimits limits = decoding_limits();
  ASSIGN_OR_RETURN(
      std::vector<TermIds> terms,
      ReadTerminology(*engine_, in.terminology(), limits.max_constraints,
                      limits.max_constraint_tokens));
  if (prefixes == 0 && terms.empty()) return absl::OkStatus();
  validated->segment_options.resize(count);
  validated->applied_terms.resize(count);
  for (int i = 0; i < count; ++i) {
    if (validated->segments[i].blank) {
      // A blank segment is answered blank without decoding: a prefix for
      // it would be silently dropped.
      if (prefixes > 0 && !request.target_prefix(i).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "target_prefix[", i, "] is set but segments[", i,
            "] is blank, and a blank segment is not translated; give it "
            "text or leave its prefix empty"));
      }
      continue;
    }
    model::DecodingOptions options = validated->options;
    model::OptionFieldNames fields =
        model::OptionFieldNames::WithPrefix("options.");
    fields.target_prefix = absl::StrCat("target_prefix[", i, "]");
    fields.constraints =
        absl::StrCat("options.terminology (segments[", i, "])");
    if (prefixes > 0 && !request.target_prefix(i).empty()) {
      ASSIGN_OR_RETURN(options.target_prefix,
                       EncodeTargetText(*engine_, fields.target_prefix,
                                        request.target_prefix(i),
                                        model::Tokenizer::TargetPlace::kStart,
                                        limits_.max_input_tokens));
    }
    for (const int t : ApplicableTerms(terms, request.segments(i))) {
      options.constraints.push_back(terms[t].target);
      validated->applied_terms[i].push_back(t);
    }
    if (!options.constraints.empty() && !in.has_length_penalty()) {
      // While a term is missing, end-of-sentence is banned, so a hypothesis
      // that wanted to end goes on with cheap filler ("The house is small.
      // / The building is small."); dividing by length rewards it. Ranked
      // by total log-probability instead, the term lands in place.
      options.length_penalty = 0.0f;
    }
    if (options.target_prefix.empty() && options.constraints.empty()) continue;
    RETURN_IF_ERROR(engine_->ValidateOptions(options, limits, fields));
    validated->segment_options[i] = std::move(options);
  }
  return absl::OkStatus();
}

absl::StatusOr<ValidatedGenerate> RequestValidator::ValidateGenerate(
    const v1::GenerateRequest& request) const {
  ValidatedGenerate validated;
  model::DecodingOptions& options = validated.options;
  options = defaults_;
  // Generate is greedy unless it asks for beams (whose final prefix it
  // streams) or sampling.
  options.beam_size = 1;
  if (request.has_sampling()) ReadSampling(request.sampling(), &options);
  if (request.has_beam_size()) options.beam_size = request.beam_size();
  if (request.has_length_penalty()) {
    options.length_penalty = request.length_penalty();
  }
  if (request.has_max_new_tokens()) {
    options.max_output_tokens = request.max_new_tokens();
  }
  if (request.has_min_new_tokens()) {
    options.min_output_tokens = request.min_new_tokens();
  } else {
    options.min_output_tokens =
        std::min(options.min_output_tokens, options.max_output_tokens);
  }
  if (request.has_repetition_penalty()) {
    options.repetition_penalty = request.repetition_penalty();
  }
  if (request.has_no_repeat_ngram_size()) {
    options.no_repeat_ngram_size = request.no_repeat_ngram_size();
  }
  ASSIGN_OR_RETURN(
      validated.languages,
      ResolveLanguages(request.source_language(), request.target_language()));
  if (!validated.languages.forced_target.empty()) {
    options.forced_prefix = validated.languages.forced_target;
  }
  if (!request.target_prefix().empty()) {
    ASSIGN_OR_RETURN(
        options.target_prefix,
        EncodeTargetText(*engine_, "target_prefix", request.target_prefix(),
                         model::Tokenizer::TargetPlace::kStart,
                         limits_.max_input_tokens));
  }
  RETURN_IF_ERROR(
      engine_->ValidateOptions(options, decoding_limits(), GenerateFields()));

  const int stops = request.stop_size();
  if (stops > limits_.max_stop_sequences) {
    return absl::InvalidArgumentError(absl::StrCat("stop must hold at most ",
                                                   limits_.max_stop_sequences,
                                                   " strings, got ", stops));
  }
  for (int i = 0; i < stops; ++i) {
    const std::string field = absl::StrCat("stop[", i, "]");
    const std::string& stop = request.stop(i);
    RETURN_IF_ERROR(base::CheckUtf8(field, stop));
    if (stop.empty() ||
        static_cast<int>(stop.size()) > limits_.max_stop_sequence_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " length in bytes must be in [1, ",
          limits_.max_stop_sequence_bytes, "], got ", stop.size()));
    }
    validated.stop.push_back(stop);
  }

  ASSIGN_OR_RETURN(
      model::SourceText source,
      engine_->CheckSource("text", request.text(), limits_.max_input_tokens,
                           validated.languages));
  if (source.blank) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text must contain at least one non-whitespace character, got ",
        request.text().empty() ? "an empty string" : "only white space"));
  }
  validated.source_ids = std::move(source.ids);
  return validated;
}

}  // namespace glossa::server
