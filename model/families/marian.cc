#include "model/families/marian.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/families/bart_style.h"
#include "model/tokenizer/marian_tokenizer.h"

namespace glossa::model {
namespace {

// transformers' MarianConfig defaults, and PretrainedConfig's for the
// generation fields, for keys a config.json leaves out.
ModelConfig MarianDefaults() {
  ModelConfig config = BartStyleDefaults("marian");
  config.vocab_size = 58101;
  config.pad_token_id = 58100;
  config.eos_token_id = 0;
  config.decoder_start_token_id = 58100;
  config.forced_eos_token_id = 0;
  config.share_encoder_decoder_embeddings = true;
  config.architecture.activation = Activation::kGelu;
  config.never_generate_pad = true;
  return config;
}

class MarianFamily final : public Family {
 public:
  absl::string_view model_type() const override { return "marian"; }

  absl::StatusOr<ModelConfig> ParseConfig(
      const JsonFields& fields) const override {
    ModelConfig config = MarianDefaults();
    RETURN_IF_ERROR(ReadBartStyleFields(fields, &config));
    // MarianConfig starts decoding from the pad token unless told otherwise.
    if (!fields.Has("decoder_start_token_id")) {
      config.decoder_start_token_id = config.pad_token_id;
    }
    RETURN_IF_ERROR(fields.ReadBool("share_encoder_decoder_embeddings",
                                    &config.share_encoder_decoder_embeddings));
    Architecture& architecture = config.architecture;
    bool normalize_before = false;
    RETURN_IF_ERROR(fields.ReadBool("normalize_before", &normalize_before));
    architecture.pre_norm = normalize_before;
    architecture.final_norms = normalize_before;
    architecture.positions = PositionEncoding::kSinusoidal;

    // Checkpoints converted with separate source and target vocabularies
    // (target_vocab.json) size the decoder's embeddings and output layer by
    // decoder_vocab_size; the engine serves one shared vocabulary.
    int decoder_vocab_size = config.vocab_size;
    RETURN_IF_ERROR(
        fields.ReadInt("decoder_vocab_size", 1, &decoder_vocab_size));
    if (decoder_vocab_size != config.vocab_size) {
      return absl::UnimplementedError(absl::StrCat(
          "decoder_vocab_size ", decoder_vocab_size,
          " differs from vocab_size ", config.vocab_size,
          ": separate source and target vocabularies are not supported"));
    }
    RETURN_IF_ERROR(ValidateModelConfig(config));
    return config;
  }

  std::string ConfigJson(const ModelConfig& c) const override {
    nlohmann::json config = BartStyleConfigJson(c);
    config["architectures"] = {"MarianMTModel"};
    config["normalize_before"] = c.architecture.pre_norm;
    config["share_encoder_decoder_embeddings"] =
        c.share_encoder_decoder_embeddings;
    return config.dump(2) + "\n";
  }

  CheckpointLayout Layout(const ModelConfig& config) const override {
    return BartStyleLayout();
  }

  absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
      const std::string& dir, const ModelConfig& config) const override {
    ASSIGN_OR_RETURN(std::unique_ptr<MarianTokenizer> tokenizer,
                     MarianTokenizer::Load(dir));
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
  }
};

}  // namespace

const Family& Marian() {
  static const MarianFamily* family = new MarianFamily();
  return *family;
}

}  // namespace glossa::model
