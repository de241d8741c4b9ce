#include <utility>

#include "server/scheduling/decoder.h"

namespace glossa::server {
namespace {

class EngineDecoder final : public Decoder {
 public:
  explicit EngineDecoder(std::unique_ptr<model::BatchDecoder> decoder)
      : decoder_(std::move(decoder)) {}

  absl::StatusOr<std::vector<uint64_t>> Add(
      std::vector<model::NewSequence> batch) override {
    return decoder_->Add(std::move(batch));
  }
  absl::StatusOr<std::vector<model::SequenceEvent>> Step() override {
    return decoder_->Step();
  }
  void Remove(uint64_t sequence_id) override { decoder_->Remove(sequence_id); }
  int num_rows() const override { return decoder_->num_rows(); }

 private:
  std::unique_ptr<model::BatchDecoder> decoder_;
};

}  // namespace

std::unique_ptr<Decoder> MakeEngineDecoder(const model::Engine& engine) {
  return std::make_unique<EngineDecoder>(engine.NewDecoder());
}

}  // namespace glossa::server
