#ifndef GLOSSA_MODEL_TRANSLATOR_H_
#define GLOSSA_MODEL_TRANSLATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/batch_decoder.h"
#include "model/decoding_options.h"
#include "model/model.h"
#include "model/tokenizer.h"

namespace glossa::model {

struct TranslationHypothesis {
  std::string text;
  std::vector<int> token_ids;
  float score = 0.0f;
};

struct TranslationResult {
  std::vector<TranslationHypothesis> hypotheses;  // best first
  int input_tokens = 0;
  int output_tokens = 0;  // of the best hypothesis, EOS included
};

// Text in, hypotheses out: the offline API over Model + Tokenizer +
// BatchDecoder, used by the CLI and as the serving path's oracle in tests.
class Translator {
 public:
  static absl::StatusOr<std::unique_ptr<Translator>> Load(
      const std::string& model_dir, const LoadOptions& options = {});
  Translator(std::shared_ptr<const Model> model,
             std::shared_ptr<const Tokenizer> tokenizer);

  // Translates `texts` in batches of at most `max_batch_size` sources.
  absl::StatusOr<std::vector<TranslationResult>> Translate(
      const std::vector<std::string>& texts, const DecodingOptions& options,
      int max_batch_size = 32) const;

  const std::shared_ptr<const Model>& model() const { return model_; }
  const std::shared_ptr<const Tokenizer>& tokenizer() const {
    return tokenizer_;
  }

 private:
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSLATOR_H_
