#include "model/engine.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "model/families/family.h"
#include "model/kernels/backend.h"
#include "model/tokenizer/language_codes.h"

namespace glossa::model {

absl::StatusOr<std::shared_ptr<const Engine>> Engine::Load(
    const std::string& dir, const LoadOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadModel(dir, options));
  const ModelConfig& config = model->config();
  ASSIGN_OR_RETURN(const Family* family, FindFamily(config.model_type));
  ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer,
                   family->LoadTokenizer(dir, config));
  return Create(config, std::move(model), std::move(tokenizer), dir);
}

absl::StatusOr<std::shared_ptr<const Engine>> Engine::Create(
    const ModelConfig& config, std::shared_ptr<const Model> model,
    std::shared_ptr<const Tokenizer> tokenizer, absl::string_view where) {
  const std::string vocabulary = tokenizer->vocabulary_file();
  std::vector<std::string> mismatches;
  // A model's vocabulary may have more rows than its tokenizer has
  // entries (NLLB-200's is padded to 256,206), never fewer.
  if (tokenizer->vocab_size() > config.vocab_size) {
    mismatches.push_back(absl::StrCat(vocabulary, " has ",
                                      tokenizer->vocab_size(),
                                      " entries but config.json says "
                                      "vocab_size ",
                                      config.vocab_size));
  }
  if (tokenizer->eos_id() != config.eos_token_id) {
    mismatches.push_back(absl::StrCat(
        vocabulary, " puts </s> at ", tokenizer->eos_id(),
        " but config.json says eos_token_id ", config.eos_token_id));
  }
  if (tokenizer->pad_id() != config.pad_token_id) {
    mismatches.push_back(absl::StrCat(
        vocabulary, " puts <pad> at ", tokenizer->pad_id(),
        " but config.json says pad_token_id ", config.pad_token_id));
  }
  if (!mismatches.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the tokenizer does not fit the model: ",
                     absl::StrJoin(mismatches, "; ")));
  }
  return std::shared_ptr<const Engine>(
      new Engine(config, std::move(model), std::move(tokenizer)));
}

std::vector<ComputeType> Engine::NativeComputeTypes() {
  std::vector<ComputeType> types = {ComputeType::kFloat32, ComputeType::kInt8};
  if (CpuHasNativeBFloat16()) types.push_back(ComputeType::kBFloat16);
  return types;
}

ComputeType Engine::compute_type() const {
  return model_ == nullptr ? ComputeType::kFloat32 : model_->compute_type();
}

int Engine::max_input_tokens() const {
  return std::max(1, config_.max_position_embeddings);
}

absl::StatusOr<LanguageChoice> Engine::ResolveLanguages(
    const LanguageRequest& request) const {
  const LanguageTokens& languages = tokenizer_->languages();
  LanguageChoice choice;
  using Scheme = LanguageTokens::Scheme;
  if (languages.scheme == Scheme::kNone) {
    for (const auto* given : {&request.source, &request.target}) {
      if (given->empty()) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          given == &request.source ? request.source_field
                                   : request.target_field,
          " '", base::ShortForMessage(*given),
          "' cannot be chosen: this model translates one language pair and "
          "takes no language codes"));
    }
    // The config's own forced first token (BART's <s>) still leads.
    if (config_.forced_bos_token_id >= 0) {
      choice.forced_target.push_back(config_.forced_bos_token_id);
    }
    return choice;
  }
  const auto example = [&] {
    std::vector<std::string> some(
        languages.codes.begin(),
        languages.codes.begin() + std::min<size_t>(3, languages.codes.size()));
    return absl::StrCat("this model has ", languages.codes.size(),
                        " language codes (GetModelInfo lists them; e.g. ",
                        absl::StrJoin(some, ", "), ")");
  };
  if (request.target.empty()) {
    if (languages.scheme == Scheme::kTargetInSource) {
      choice.target_token_in_text = request.target_field;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(request.target_field, " is required: ", example()));
    }
  } else {
    ASSIGN_OR_RETURN(
        const int target,
        ResolveLanguage(languages, request.target_field, request.target));
    choice.target_code = languages.codes[target];
    if (languages.scheme == Scheme::kTargetInSource) {
      choice.source_prefix.push_back(languages.ids[target]);
    } else {
      choice.forced_target.push_back(languages.ids[target]);
    }
  }
  // Multilingual OPUS-MT models have no source codes: the source language
  // is whatever the text is written in.
  if (languages.scheme == Scheme::kTargetInSource) return choice;
  const std::string& source =
      request.source.empty() ? languages.default_source : request.source;
  if (source.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(request.source_field, " is required: ", example()));
  }
  ASSIGN_OR_RETURN(const int index,
                   ResolveLanguage(languages, request.source_field, source));
  choice.source_code = languages.codes[index];
  choice.source_prefix.insert(choice.source_prefix.begin(),
                              languages.ids[index]);
  return choice;
}

absl::StatusOr<SourceText> Engine::CheckSource(
    absl::string_view field, absl::string_view text, int max_tokens,
    const LanguageChoice& languages) const {
  const int limit = std::min(max_tokens, max_input_tokens());
  // A cheap bound before any work: no token of a real vocabulary spans
  // kMaxBytesPerToken bytes, so a longer text cannot fit and is refused
  // without being validated or tokenized (a 4 MB segment used to cost a
  // gRPC thread seconds of tokenizing before the length check).
  const size_t max_bytes = static_cast<size_t>(limit) * kMaxBytesPerToken;
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", text.size(), " bytes long; at most ",
                     max_bytes, " bytes (", kMaxBytesPerToken,
                     " per allowed token, ", limit, " tokens) are allowed"));
  }
  RETURN_IF_ERROR(base::CheckUtf8(field, text));
  SourceText source;
  if (base::IsBlank(text)) {
    source.blank = true;
    return source;
  }
  if (!languages.target_token_in_text.empty() &&
      !absl::StartsWith(text, ">>")) {
    return absl::InvalidArgumentError(
        absl::StrCat(languages.target_token_in_text,
                     " is required for this multilingual model (or start ",
                     field, " with its >>xxx<< token)"));
  }
  absl::StatusOr<std::vector<int>> ids = tokenizer_->Encode(text);
  if (!ids.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", ids.status().message()));
  }
  ids->insert(ids->begin(), languages.source_prefix.begin(),
              languages.source_prefix.end());
  if (static_cast<int>(ids->size()) > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", ids->size(), " tokens long; at most ",
                     limit, " (max_input_tokens) are allowed"));
  }
  source.ids = *std::move(ids);
  return source;
}

DecodingOptions Engine::DefaultOptions(const DecodingLimits& limits) const {
  DecodingOptions options;
  const GenerationDefaults& g = config_.generation;
  options.beam_size = std::clamp(g.num_beams, 1, limits.max_beam_size);
  options.max_output_tokens = EffectiveMaxOutputTokens({}, config_);
  if (limits.max_output_tokens > 0) {
    options.max_output_tokens =
        std::min(options.max_output_tokens, limits.max_output_tokens);
  }
  options.min_output_tokens = std::min(g.min_length, options.max_output_tokens);
  options.length_penalty = g.length_penalty;
  options.no_repeat_ngram_size =
      std::min(g.no_repeat_ngram_size, limits.max_no_repeat_ngram_size);
  options.repetition_penalty = g.repetition_penalty;
  options.early_stopping = g.early_stopping;
  if (config_.forced_bos_token_id >= 0) {
    options.forced_prefix = {config_.forced_bos_token_id};
  }
  return options;
}

absl::Status Engine::ValidateOptions(const DecodingOptions& options,
                                     const DecodingLimits& limits,
                                     const OptionFieldNames& fields) const {
  return ValidateDecodingOptions(options, config_, limits, fields);
}

int Engine::OutputTokens(const Hypothesis& hypothesis) {
  return static_cast<int>(hypothesis.token_ids.size()) +
         (hypothesis.ended_with_eos ? 1 : 0);
}

std::string Engine::Decode(absl::Span<const int> ids) const {
  return tokenizer_->Decode(ids);
}

absl::StatusOr<std::vector<TokenSpan>> Engine::SourceSpans(
    absl::string_view text, const LanguageChoice& languages) const {
  ASSIGN_OR_RETURN(std::vector<TokenSpan> spans, tokenizer_->EncodeSpans(text));
  // SentencePiece counts the space before a word into its piece.
  for (TokenSpan& span : spans) {
    while (span.begin < span.end &&
           absl::ascii_isspace(static_cast<unsigned char>(text[span.begin]))) {
      ++span.begin;
    }
  }
  spans.insert(spans.begin(), languages.source_prefix.size(), TokenSpan());
  return spans;
}

std::vector<TokenSpan> Engine::TargetSpans(absl::Span<const int> ids) const {
  // Decoding is not a concatenation of pieces (spaces are cleaned up, a
  // character can take several byte tokens), so each token's text is what
  // it adds to the decoded prefix; O(n^2) in pieces, for one sentence.
  const std::string full = tokenizer_->Decode(ids);
  const int size = static_cast<int>(full.size());
  std::vector<TokenSpan> spans;
  int previous = 0;
  for (size_t k = 0; k < ids.size(); ++k) {
    const std::string prefix = tokenizer_->Decode(ids.subspan(0, k + 1));
    // Where the prefix stops agreeing with the full text bounds what it
    // may claim (clean-up can rewrite the end of a prefix).
    int agree = 0;
    const int limit = std::min(size, static_cast<int>(prefix.size()));
    while (agree < limit && prefix[agree] == full[agree]) ++agree;
    int begin = std::min(previous, agree);
    const int end = std::max(begin, agree);
    while (begin < end && full[begin] == ' ') ++begin;
    spans.push_back({begin, end});
    previous = std::max(previous, end);
  }
  return spans;
}

std::unique_ptr<BatchDecoder> Engine::NewDecoder() const {
  return std::make_unique<BatchDecoder>(model_);
}

absl::StatusOr<std::vector<TranslationResult>> Engine::Translate(
    const std::vector<std::string>& texts, const DecodingOptions& options,
    int max_batch_size, const LanguageRequest& language_request) const {
  if (model_ == nullptr) {
    return absl::FailedPreconditionError("this engine has no model");
  }
  ASSIGN_OR_RETURN(const LanguageChoice languages,
                   ResolveLanguages(language_request));
  DecodingOptions resolved = options;
  if (!languages.forced_target.empty()) {
    resolved.forced_prefix = languages.forced_target;
  }
  resolved.max_output_tokens = EffectiveMaxOutputTokens(options, config_);
  RETURN_IF_ERROR(ValidateOptions(resolved));
  std::vector<TranslationResult> results(texts.size());
  std::vector<size_t> to_decode;
  std::vector<std::vector<int>> sources(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSIGN_OR_RETURN(SourceText source,
                     CheckSource(absl::StrCat("texts[", i, "]"), texts[i],
                                 max_input_tokens(), languages));
    if (source.blank) {
      results[i].hypotheses.emplace_back();
      continue;
    }
    results[i].input_tokens = static_cast<int>(source.ids.size());
    sources[i] = std::move(source.ids);
    to_decode.push_back(i);
  }

  max_batch_size = std::max(1, max_batch_size);
  for (size_t begin = 0; begin < to_decode.size(); begin += max_batch_size) {
    const size_t end = std::min(to_decode.size(), begin + max_batch_size);
    BatchDecoder decoder(model_);
    std::vector<NewSequence> batch;
    for (size_t k = begin; k < end; ++k) {
      batch.push_back({sources[to_decode[k]], resolved});
    }
    ASSIGN_OR_RETURN(std::vector<uint64_t> ids, decoder.Add(std::move(batch)));
    absl::flat_hash_map<uint64_t, size_t> index;
    for (size_t k = 0; k < ids.size(); ++k) {
      index[ids[k]] = to_decode[begin + k];
    }
    while (decoder.num_sequences() > 0) {
      ASSIGN_OR_RETURN(std::vector<SequenceEvent> events, decoder.Step());
      for (SequenceEvent& event : events) {
        if (!event.finished) continue;
        if (event.failed) {
          return absl::InternalError(
              absl::StrCat("the model produced non-finite scores for texts[",
                           index[event.sequence_id], "]"));
        }
        TranslationResult& result = results[index[event.sequence_id]];
        if (!event.hypotheses.empty()) {
          result.output_tokens = OutputTokens(event.hypotheses.front());
        }
        for (Hypothesis& hypothesis : event.hypotheses) {
          result.hypotheses.push_back({Decode(hypothesis.token_ids),
                                       std::move(hypothesis.token_ids),
                                       hypothesis.score});
        }
      }
    }
  }
  return results;
}

}  // namespace glossa::model
