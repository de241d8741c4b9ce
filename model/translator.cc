#include "model/translator.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "model/status_macros.h"

namespace glossa::model {

absl::StatusOr<std::unique_ptr<Translator>> Translator::Load(
    const std::string& model_dir, const LoadOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                   Model::Load(model_dir, options));
  ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer,
                   Tokenizer::Load(model_dir));
  const ModelConfig& config = model->config();
  if (tokenizer->vocab_size() != config.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        model_dir, "/vocab.json has ", tokenizer->vocab_size(),
        " entries but config.json says vocab_size ", config.vocab_size));
  }
  if (tokenizer->eos_id() != config.eos_token_id ||
      tokenizer->pad_id() != config.pad_token_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        model_dir, ": vocab.json puts </s> at ", tokenizer->eos_id(),
        " and <pad> at ", tokenizer->pad_id(), ", config.json says ",
        config.eos_token_id, " and ", config.pad_token_id));
  }
  return std::make_unique<Translator>(std::move(model), std::move(tokenizer));
}

Translator::Translator(std::shared_ptr<const Model> model,
                       std::shared_ptr<const Tokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {}

absl::StatusOr<std::vector<TranslationResult>> Translator::Translate(
    const std::vector<std::string>& texts, const DecodingOptions& options,
    int max_batch_size) const {
  const ModelConfig& config = model_->config();
  RETURN_IF_ERROR(ValidateDecodingOptions(options, config));
  std::vector<TranslationResult> results(texts.size());
  std::vector<std::vector<int>> sources(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].find_first_not_of(" \t\r\n") == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("text ", i, " is empty or whitespace only"));
    }
    ASSIGN_OR_RETURN(sources[i], tokenizer_->Encode(texts[i]));
    if (static_cast<int>(sources[i].size()) > config.max_position_embeddings) {
      return absl::InvalidArgumentError(
          absl::StrCat("text ", i, " has ", sources[i].size(),
                       " tokens; the model accepts at most ",
                       config.max_position_embeddings));
    }
    results[i].input_tokens = static_cast<int>(sources[i].size());
  }

  max_batch_size = std::max(1, max_batch_size);
  for (size_t begin = 0; begin < texts.size(); begin += max_batch_size) {
    const size_t end = std::min(texts.size(), begin + max_batch_size);
    BatchDecoder decoder(model_);
    std::vector<NewSequence> batch;
    for (size_t i = begin; i < end; ++i) batch.push_back({sources[i], options});
    ASSIGN_OR_RETURN(std::vector<uint64_t> ids, decoder.Add(std::move(batch)));
    absl::flat_hash_map<uint64_t, size_t> index;
    for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = begin + i;
    while (decoder.num_sequences() > 0) {
      ASSIGN_OR_RETURN(std::vector<SequenceEvent> events, decoder.Step());
      for (SequenceEvent& event : events) {
        if (!event.finished) continue;
        TranslationResult& result = results[index[event.sequence_id]];
        for (Hypothesis& hypothesis : event.hypotheses) {
          result.hypotheses.push_back({tokenizer_->Decode(hypothesis.token_ids),
                                       std::move(hypothesis.token_ids),
                                       hypothesis.score});
        }
        if (!result.hypotheses.empty()) {
          // EOS counts unless the length limit cut the output without one.
          const bool has_eos = event.finish_reason == FinishReason::kEos ||
                               config.forced_eos_token_id >= 0;
          result.output_tokens =
              static_cast<int>(result.hypotheses.front().token_ids.size()) +
              (has_eos ? 1 : 0);
        }
      }
    }
  }
  return results;
}

}  // namespace glossa::model
