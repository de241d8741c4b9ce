#include "model/families/m2m100.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/status_macros.h"
#include "model/families/bart_style.h"
#include "model/families/tokenizer_files.h"
#include "model/tokenizer/fairseq_tokenizer.h"

namespace glossa::model {
namespace {

// transformers' M2M100Config defaults for keys a config.json leaves out.
ModelConfig M2M100Defaults() {
  ModelConfig config = BartStyleDefaults("m2m_100");
  config.vocab_size = 128112;
  config.pad_token_id = 1;
  config.eos_token_id = 2;
  config.decoder_start_token_id = 2;
  config.forced_eos_token_id = -1;
  Architecture& a = config.architecture;
  a.activation = Activation::kRelu;
  a.embedding_scale = 32.0f;  // sqrt(1024): scale_embedding defaults on
  a.pre_norm = true;
  a.final_norms = true;
  a.positions = PositionEncoding::kFairseqSinusoidal;
  return config;
}

class M2M100Family final : public Family {
 public:
  absl::string_view model_type() const override { return "m2m_100"; }

  absl::StatusOr<ModelConfig> ParseConfig(
      const JsonFields& fields) const override {
    ModelConfig config = M2M100Defaults();
    if (!fields.Has("scale_embedding")) {
      // The default is on, at this model's own d_model.
      RETURN_IF_ERROR(fields.ReadInt("d_model", 1, &config.d_model));
      config.architecture.embedding_scale =
          std::sqrt(static_cast<float>(config.d_model));
    }
    RETURN_IF_ERROR(ReadBartStyleFields(fields, &config));
    RETURN_IF_ERROR(ValidateModelConfig(config));
    return config;
  }

  std::string ConfigJson(const ModelConfig& c) const override {
    nlohmann::json config = BartStyleConfigJson(c);
    config["architectures"] = {"M2M100ForConditionalGeneration"};
    config["bos_token_id"] = 0;
    return config.dump(2) + "\n";
  }

  CheckpointLayout Layout(const ModelConfig& config) const override {
    CheckpointLayout layout = BartStyleLayout();
    layout.final_logits_bias.clear();  // M2M100 has none
    return layout;
  }

  absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
      const std::string& dir, const ModelConfig& config) const override {
    ASSIGN_OR_RETURN(const std::string tokenizer_class,
                     ReadTokenizerClass(dir));
    // M2M100Tokenizer numbers pieces through vocab.json; NllbTokenizer by
    // SentencePiece's order. The class name decides; without one, the
    // presence of vocab.json does.
    const bool vocab_json = tokenizer_class.rfind("M2M100", 0) == 0 ||
                            (tokenizer_class.empty() &&
                             base::ReadFileToString(dir + "/vocab.json").ok());
    ASSIGN_OR_RETURN(
        std::unique_ptr<FairseqTokenizer> tokenizer,
        FairseqTokenizer::Load(
            dir, vocab_json ? FairseqTokenizer::Numbering::kVocabJson
                            : FairseqTokenizer::Numbering::kFairseqOffset));
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
  }
};

}  // namespace

const Family& M2M100() {
  static const M2M100Family* family = new M2M100Family();
  return *family;
}

}  // namespace glossa::model
