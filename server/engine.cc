#include "server/engine.h"

#include <utility>

#include "absl/time/clock.h"
#include "model/status_macros.h"
#include "model/tokenizer.h"

namespace glossa::server {
namespace {

class EngineDecoder final : public Decoder {
 public:
  explicit EngineDecoder(std::shared_ptr<const model::Model> model)
      : decoder_(std::move(model)) {}

  absl::StatusOr<std::vector<uint64_t>> Add(
      std::vector<model::NewSequence> batch) override {
    return decoder_.Add(std::move(batch));
  }
  absl::StatusOr<std::vector<model::SequenceEvent>> Step() override {
    return decoder_.Step();
  }
  void Remove(uint64_t sequence_id) override { decoder_.Remove(sequence_id); }
  int num_rows() const override { return decoder_.num_rows(); }

 private:
  model::BatchDecoder decoder_;
};

class TokenizerCodec final : public TextCodec {
 public:
  explicit TokenizerCodec(std::unique_ptr<model::Tokenizer> tokenizer)
      : tokenizer_(std::move(tokenizer)) {}

  absl::StatusOr<std::vector<int>> Encode(
      absl::string_view text) const override {
    return tokenizer_->Encode(text);
  }
  std::string Decode(absl::Span<const int> ids) const override {
    return tokenizer_->Decode(std::vector<int>(ids.begin(), ids.end()));
  }

 private:
  std::unique_ptr<model::Tokenizer> tokenizer_;
};

}  // namespace

absl::StatusOr<LoadedModel> LoadEngineModel(const std::string& dir,
                                            const model::LoadOptions& options) {
  const absl::Time start = absl::Now();
  LoadedModel loaded;
  ASSIGN_OR_RETURN(loaded.model, model::Model::Load(dir, options));
  ASSIGN_OR_RETURN(std::unique_ptr<model::Tokenizer> tokenizer,
                   model::Tokenizer::Load(dir));
  loaded.codec = std::make_unique<TokenizerCodec>(std::move(tokenizer));
  loaded.config = loaded.model->config();
  loaded.compute_type = loaded.model->compute_type();
  loaded.load_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return loaded;
}

std::unique_ptr<Decoder> MakeEngineDecoder(
    std::shared_ptr<const model::Model> model) {
  return std::make_unique<EngineDecoder>(std::move(model));
}

}  // namespace glossa::server
