#ifndef GLOSSA_MODEL_ENGINE_H_
#define GLOSSA_MODEL_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "model/decoding/batch_decoder.h"
#include "model/decoding/decoding_options.h"
#include "model/decoding/hypothesis.h"
#include "model/io/config.h"
#include "model/tokenizer/tokenizer.h"
#include "model/transformer/model.h"

namespace glossa::model {

// The languages of a request as the caller wrote them: model codes or the
// aliases of tokenizer/language_codes.h; empty when not given.
struct LanguageRequest {
  std::string source;
  std::string target;
  // How the caller's API names them, for messages.
  std::string source_field = "source_language";
  std::string target_field = "target_language";
};

// What they mean for the model.
struct LanguageChoice {
  std::string source_code;  // model codes; empty when not used
  std::string target_code;
  std::vector<int> source_prefix;  // ids put before the text's
  std::vector<int> forced_target;  // the output's forced first tokens
  // Multilingual OPUS-MT without a target language: the text itself must
  // start with its ">>xxx<<" token. Names the caller's target field.
  std::string target_token_in_text;
};

// A source text as the engine takes it: checked, and tokenized unless blank.
struct SourceText {
  bool blank = false;    // empty or white space only: nothing to decode
  std::vector<int> ids;  // ending with EOS; empty when blank
};

struct TranslationHypothesis {
  std::string text;
  std::vector<int> token_ids;
  float score = 0.0f;
};

struct TranslationResult {
  std::vector<TranslationHypothesis> hypotheses;  // best first
  int input_tokens = 0;
  int output_tokens = 0;  // of the best hypothesis (Engine::OutputTokens)
};

// The engine's facade: a loaded model with its tokenizer, and the one owner
// of every rule about a request. Front-ends (the gRPC server, the
// glossa-engine CLI, later HTTP) call these instead of writing their own:
//   Load          model and tokenizer checked against each other
//   CheckSource   UTF-8, blank, length: once per text
//   DefaultOptions / ValidateOptions   one set of defaults, one validator
//   OutputTokens  one rule for counting generated tokens (EOS included
//                 when decoding spent a step on it)
// Messages name the caller's fields (it passes them), so a server's errors
// still say "segments[2]" or "options.beam_size". Thread-safe; shared as
// std::shared_ptr<const Engine>.
class Engine {
 public:
  // Loads `dir` through the family its config.json names. Every error,
  // including a tokenizer that does not fit the model, names the path.
  static absl::StatusOr<std::shared_ptr<const Engine>> Load(
      const std::string& dir, const LoadOptions& options = {});

  // Assembles an engine from parts, with the same consistency check as
  // Load (`where` prefixes its message). `model` may be null: such an
  // engine checks requests but cannot decode (serving-layer tests).
  static absl::StatusOr<std::shared_ptr<const Engine>> Create(
      const ModelConfig& config, std::shared_ptr<const Model> model,
      std::shared_ptr<const Tokenizer> tokenizer, absl::string_view where);

  // The compute types this CPU runs natively: float32 and int8 always,
  // bfloat16 where oneDNN has AVX512-BF16 or AMX (elsewhere it emulates it,
  // slower than float32).
  static std::vector<ComputeType> NativeComputeTypes();

  const ModelConfig& config() const { return config_; }
  // Null for an engine made without a model.
  const std::shared_ptr<const Model>& model() const { return model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::shared_ptr<const Tokenizer>& tokenizer_ptr() const {
    return tokenizer_;
  }
  ComputeType compute_type() const;

  // Bytes of source text allowed per token of the length limit: generous
  // (SentencePiece pieces are a few characters), so only a text that could
  // never fit is refused by this bound.
  static constexpr int kMaxBytesPerToken = 64;

  // The longest source the model takes, in tokens (EOS included); a
  // caller's own limit can only be lower.
  int max_input_tokens() const;

  // The languages the model takes (none for a one-pair model).
  const LanguageTokens& languages() const { return tokenizer_->languages(); }

  // The one owner of the language rules: which codes a request means, the
  // tokens they put before the source and force at the start of the output.
  // A one-pair model takes no codes; a multilingual one requires the target
  // (NLLB / M2M100 / mBART-50 also the source, unless the tokenizer names a
  // default). InvalidArgument naming the field: missing, unknown (with the
  // closest codes) or ambiguous.
  absl::StatusOr<LanguageChoice> ResolveLanguages(
      const LanguageRequest& request) const;

  // Checks `text` (named `field` in messages): at most kMaxBytesPerToken
  // bytes per allowed token (refused before any other work), valid UTF-8,
  // then blank or tokenized (with the language tokens of `languages` in
  // front), at most min(max_tokens, max_input_tokens()) tokens.
  // InvalidArgument otherwise.
  absl::StatusOr<SourceText> CheckSource(
      absl::string_view field, absl::string_view text, int max_tokens,
      const LanguageChoice& languages = {}) const;

  // The model's own decoding defaults (config num_beams, max_length and
  // forced_bos_token_id) within `limits`.
  DecodingOptions DefaultOptions(const DecodingLimits& limits = {}) const;
  // The one validator of decoding options (decoding_options.h).
  absl::Status ValidateOptions(const DecodingOptions& options,
                               const DecodingLimits& limits = {},
                               const OptionFieldNames& fields = {}) const;

  // Tokens a hypothesis cost to generate: its ids, plus the end-of-sentence
  // step when there was one.
  static int OutputTokens(const Hypothesis& hypothesis);

  // Target ids -> text.
  std::string Decode(absl::Span<const int> ids) const;

  // Word alignment needs both texts' token positions:
  // - SourceSpans: the byte range of `text` each id of CheckSource(text,
  //   languages) covers (language tokens and EOS: empty ranges).
  // - TargetSpans: the byte range of Decode(ids) each id accounts for: what
  //   decoding through it adds to decoding the ids before it, without
  //   leading spaces (a token that adds nothing, such as a language token,
  //   gets an empty range).
  absl::StatusOr<std::vector<TokenSpan>> SourceSpans(
      absl::string_view text, const LanguageChoice& languages) const;
  std::vector<TokenSpan> TargetSpans(absl::Span<const int> ids) const;

  // A step-level decoder over the model (must have one).
  std::unique_ptr<BatchDecoder> NewDecoder() const;

  // Offline translation: texts in, hypotheses out, in batches of at most
  // `max_batch_size`; blank texts give one empty hypothesis. Options are
  // validated first; a max_output_tokens of 0 takes the model's default.
  // Used by the CLI and as the server's oracle in tests.
  // `languages` apply to every text (ResolveLanguages).
  absl::StatusOr<std::vector<TranslationResult>> Translate(
      const std::vector<std::string>& texts, const DecodingOptions& options,
      int max_batch_size = 32, const LanguageRequest& languages = {}) const;

 private:
  Engine(const ModelConfig& config, std::shared_ptr<const Model> model,
         std::shared_ptr<const Tokenizer> tokenizer)
      : config_(config),
        model_(std::move(model)),
        tokenizer_(std::move(tokenizer)) {}

  const ModelConfig config_;
  const std::shared_ptr<const Model> model_;
  const std::shared_ptr<const Tokenizer> tokenizer_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_ENGINE_H_
