#include "model/families/mbart.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/families/bart_style.h"
#include "model/families/tokenizer_files.h"
#include "model/tokenizer/fairseq_tokenizer.h"

namespace glossa::model {
namespace {

// transformers' MBartConfig defaults for keys a config.json leaves out.
ModelConfig MBartDefaults() {
  ModelConfig config = BartStyleDefaults("mbart");
  config.vocab_size = 50265;
  config.pad_token_id = 1;
  config.eos_token_id = 2;
  config.forced_eos_token_id = 2;
  Architecture& a = config.architecture;
  a.activation = Activation::kGelu;
  a.pre_norm = true;
  a.final_norms = true;
  a.embedding_norm = true;
  a.positions = PositionEncoding::kLearned;
  return config;
}

class MBartFamily final : public Family {
 public:
  absl::string_view model_type() const override { return "mbart"; }

  absl::StatusOr<ModelConfig> ParseConfig(
      const JsonFields& fields) const override {
    ModelConfig config = MBartDefaults();
    // generate() starts from bos_token_id when the config names no
    // decoder_start_token_id.
    int bos_token_id = 0;
    RETURN_IF_ERROR(fields.ReadInt("bos_token_id", 0, &bos_token_id));
    config.decoder_start_token_id = bos_token_id;
    RETURN_IF_ERROR(ReadBartStyleFields(fields, &config));
    RETURN_IF_ERROR(ValidateModelConfig(config));
    return config;
  }

  std::string ConfigJson(const ModelConfig& c) const override {
    nlohmann::json config = BartStyleConfigJson(c);
    config["architectures"] = {"MBartForConditionalGeneration"};
    config["bos_token_id"] = 0;
    return config.dump(2) + "\n";
  }

  CheckpointLayout Layout(const ModelConfig& config) const override {
    return BartStyleLayout();
  }

  absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
      const std::string& dir, const ModelConfig& config) const override {
    ASSIGN_OR_RETURN(const std::string tokenizer_class,
                     ReadTokenizerClass(dir));
    // MBartTokenizer (mbart-large-cc25 and its fine-tunes) writes the
    // language code after </s> and starts decoding from it: another scheme.
    if (!tokenizer_class.empty() &&
        !absl::StartsWith(tokenizer_class, "MBart50")) {
      return absl::UnimplementedError(absl::StrCat(
          dir, "/tokenizer_config.json names tokenizer_class '",
          tokenizer_class,
          "'; Glossa serves mBART-50 checkpoints (MBart50Tokenizer)"));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<FairseqTokenizer> tokenizer,
                     FairseqTokenizer::Load(
                         dir, FairseqTokenizer::Numbering::kFairseqOffset));
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
  }
};

}  // namespace

const Family& MBart() {
  static const MBartFamily* family = new MBartFamily();
  return *family;
}

}  // namespace glossa::model
