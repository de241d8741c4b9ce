#ifndef GLOSSA_MODEL_TRANSFORMER_MODEL_H_
#define GLOSSA_MODEL_TRANSFORMER_MODEL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/io/config.h"
#include "model/io/tensor_source.h"
#include "model/kernels/compute_type.h"
#include "model/transformer/checkpoint_layout.h"
#include "model/transformer/decoder_state.h"

namespace glossa::model {

class Backend;

struct LoadOptions {
  ComputeType compute_type = ComputeType::kFloat32;
  // OpenMP threads for the backend; 0 keeps OpenMP's default.
  int num_threads = 0;
  // Plain-loop GEMMs instead of oneDNN: the test oracle.
  bool reference_backend = false;
};

// The const weights of an encoder-decoder Transformer and the forward
// passes over them, wired as config.architecture says. Shared by every
// decoder (std::shared_ptr<const Model>); per-sequence state (caches, beams)
// lives with the caller, so one Model serves any number of concurrent
// batches. A model directory is loaded by the engine (model/engine.h),
// which reads the files through the model's family.
class Model {
 public:
  // Builds from a config and the tensors named as `layout` says. Errors
  // name the missing or misshapen tensor.
  static absl::StatusOr<std::shared_ptr<const Model>> FromTensors(
      const ModelConfig& config, const CheckpointLayout& layout,
      const TensorSource& tensors, const LoadOptions& options = {});
  ~Model();

  const ModelConfig& config() const { return config_; }
  ComputeType compute_type() const { return compute_type_; }
  std::string DescribeBackend() const;

  // Compiles every kernel any batch can need (see row_chunks.h), so that
  // memory and latency are at their steady state before the first request.
  absl::Status PrepareKernels() const;

  // Encodes sources (token ids, EOS included) as one packed batch.
  absl::StatusOr<std::vector<EncodedSource>> Encode(
      const std::vector<const std::vector<int>*>& sources,
      bool keep_hidden = false) const;

  // One decoder step for every row: appends to each row's cache and writes
  // logits [rows, vocab_size] (final_logits_bias included).
  absl::Status DecodeStep(const std::vector<DecoderRow>& rows,
                          float* logits) const;

 private:
  struct Weights;
  Model(const ModelConfig& config, ComputeType compute_type);

  ModelConfig config_;
  ComputeType compute_type_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Weights> weights_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TRANSFORMER_MODEL_H_
