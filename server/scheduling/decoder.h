#ifndef GLOSSA_SERVER_SCHEDULING_DECODER_H_
#define GLOSSA_SERVER_SCHEDULING_DECODER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "model/decoding/batch_decoder.h"
#include "model/engine.h"

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

// A decoder over the engine's BatchDecoder; the engine must have a model.
std::unique_ptr<Decoder> MakeEngineDecoder(const model::Engine& engine);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_SCHEDULING_DECODER_H_
