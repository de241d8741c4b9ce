#include "model/families/bart.h"

#include <nlohmann/json.hpp>

#include "base/status_macros.h"
#include "model/families/bart_style.h"
#include "model/tokenizer/bart_tokenizer.h"

namespace glossa::model {
namespace {

// transformers' BartConfig defaults for keys a config.json leaves out.
ModelConfig BartDefaults() {
  ModelConfig config = BartStyleDefaults("bart");
  config.vocab_size = 50265;
  config.pad_token_id = 1;
  config.eos_token_id = 2;
  config.decoder_start_token_id = 2;
  config.forced_eos_token_id = 2;
  Architecture& a = config.architecture;
  a.activation = Activation::kGelu;
  a.embedding_norm = true;
  a.positions = PositionEncoding::kLearned;
  return config;
}

class BartFamily final : public Family {
 public:
  absl::string_view model_type() const override { return "bart"; }

  absl::StatusOr<ModelConfig> ParseConfig(
      const JsonFields& fields) const override {
    ModelConfig config = BartDefaults();
    RETURN_IF_ERROR(ReadBartStyleFields(fields, &config));
    // normalize_before and add_final_layer_norm, which fairseq-converted
    // configs carry, are ignored as BartModel ignores them: BART is always
    // post-norm without final LayerNorms.
    RETURN_IF_ERROR(ValidateModelConfig(config));
    return config;
  }

  std::string ConfigJson(const ModelConfig& c) const override {
    nlohmann::json config = BartStyleConfigJson(c);
    config["architectures"] = {"BartForConditionalGeneration"};
    config["bos_token_id"] = 0;
    config["normalize_before"] = false;
    config["add_final_layer_norm"] = false;
    return config.dump(2) + "\n";
  }

  CheckpointLayout Layout(const ModelConfig& config) const override {
    return BartStyleLayout();
  }

  absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
      const std::string& dir, const ModelConfig& config) const override {
    ASSIGN_OR_RETURN(std::unique_ptr<BartTokenizer> tokenizer,
                     BartTokenizer::Load(dir));
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
  }
};

}  // namespace

const Family& Bart() {
  static const BartFamily* family = new BartFamily();
  return *family;
}

}  // namespace glossa::model
