#ifndef GLOSSA_SERVER_ENGINE_H_
#define GLOSSA_SERVER_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "model/batch_decoder.h"
#include "model/config.h"
#include "model/model.h"

namespace glossa::server {

// What the scheduler needs from the engine's step-level decoder. The engine's
// BatchDecoder is a concrete class; this seam lets the scheduler be tested
// with a scripted decoder. Not thread-safe: the scheduler thread drives it.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Encodes the newcomers as one batch; returns their ids in order.
  virtual absl::StatusOr<std::vector<uint64_t>> Add(
      std::vector<model::NewSequence> batch) = 0;
  // One decoder step for every active sequence.
  virtual absl::StatusOr<std::vector<model::SequenceEvent>> Step() = 0;
  // Drops a sequence; unknown ids are ignored.
  virtual void Remove(uint64_t sequence_id) = 0;
  // Decoder rows in the next Step() (live beams count one each).
  virtual int num_rows() const = 0;
};

// Text <-> token ids for one model. Thread-safe.
class TextCodec {
 public:
  virtual ~TextCodec() = default;
  // Source text -> ids ending with EOS.
  virtual absl::StatusOr<std::vector<int>> Encode(
      absl::string_view text) const = 0;
  // Target ids -> text; special ids are skipped.
  virtual std::string Decode(absl::Span<const int> ids) const = 0;
};

// A loaded model: its weights (shared by decoders), tokenizer and metadata.
struct LoadedModel {
  std::shared_ptr<const model::Model> model;  // null in tests
  std::unique_ptr<TextCodec> codec;
  model::ModelConfig config;
  model::ComputeType compute_type = model::ComputeType::kFloat32;
  double load_seconds = 0.0;
};

// Loads `dir` (weights and tokenizer) with the engine.
absl::StatusOr<LoadedModel> LoadEngineModel(const std::string& dir,
                                            const model::LoadOptions& options);

// A decoder over the engine's BatchDecoder.
std::unique_ptr<Decoder> MakeEngineDecoder(
    std::shared_ptr<const model::Model> model);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_ENGINE_H_
