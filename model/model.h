#ifndef GLOSSA_MODEL_MODEL_H_
#define GLOSSA_MODEL_MODEL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/config.h"

namespace glossa::model {

class Backend;
class PackedLinear;

enum class ComputeType { kFloat32, kBFloat16, kInt8 };

absl::StatusOr<ComputeType> ParseComputeType(absl::string_view name);
absl::string_view ComputeTypeName(ComputeType type);

struct LoadOptions {
  ComputeType compute_type = ComputeType::kFloat32;
  // OpenMP threads for the backend; 0 keeps OpenMP's default.
  int num_threads = 0;
  // Plain-loop GEMMs instead of oneDNN: the test oracle.
  bool reference_backend = false;
};

// One source sentence after the encoder: what every decoder step needs.
// Keys are stored transposed so that a decoder query scores all positions
// with contiguous, vectorised loops.
struct EncodedSource {
  int length = 0;
  // Cross-attention keys of every decoder layer, computed once:
  // [decoder_layers][d_model][key_stride] (zero-padded past length).
  std::vector<float> cross_keys;
  int key_stride = 0;
  // Cross-attention values: [decoder_layers][length][d_model].
  std::vector<float> cross_values;
  // Final encoder hidden states [length, d_model], kept only on request.
  std::vector<float> hidden;
};

// Self-attention keys/values of one decoder row (one hypothesis), grown by
// one position per DecodeStep. Keys [layer][d_model][capacity] (transposed),
// values [layer][capacity][d_model]; capacity doubles when exceeded.
struct DecoderCache {
  std::vector<float> keys;
  std::vector<float> values;
  int length = 0;    // tokens already fed to the decoder
  int capacity = 0;  // positions the buffers hold

  // Makes room for `positions` positions, keeping what is cached.
  void Reserve(int positions, int layers, int d_model);
  // Becomes a copy of `other` (the cached positions only), reusing this
  // cache's buffers when they are large enough.
  void CopyFrom(const DecoderCache& other, int layers, int d_model);
};

struct DecoderRow {
  int token = 0;                  // input token for this step
  DecoderCache* cache = nullptr;  // appended to
  const EncodedSource* source = nullptr;
};

// Any tensor by its Hugging Face name, as float32 of the expected shape.
// NotFound when the checkpoint lacks it.
using TensorSource = std::function<absl::StatusOr<std::vector<float>>(
    const std::string& name, const std::vector<int64_t>& shape)>;

// The const weights of a Marian encoder-decoder and the forward passes over
// them. Shared by every decoder (std::shared_ptr<const Model>); per-sequence
// state (caches, beams) lives with the caller, so one Model serves any
// number of concurrent batches.
class Model {
 public:
  // Loads `dir` (config.json + model.safetensors). Errors name the path and
  // the reason.
  static absl::StatusOr<std::shared_ptr<const Model>> Load(
      const std::string& dir, const LoadOptions& options = {});
  // Builds from a config and named tensors (random-weight benchmarks,
  // tests).
  static absl::StatusOr<std::shared_ptr<const Model>> FromTensors(
      const ModelConfig& config, const TensorSource& tensors,
      const LoadOptions& options = {});
  ~Model();

  const ModelConfig& config() const { return config_; }
  ComputeType compute_type() const { return compute_type_; }
  std::string DescribeBackend() const;

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

#endif  // GLOSSA_MODEL_MODEL_H_
