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
struct EncodedSource {
  int length = 0;
  // Cross-attention keys and values of every decoder layer, computed once:
  // [length, decoder_layers * 2 * d_model]; layer l's K at columns
  // [2*l*d, 2*l*d + d), its V right after.
  std::vector<float> cross_kv;
  // Final encoder hidden states [length, d_model], kept only on request.
  std::vector<float> hidden;
};

// Self-attention keys/values of one decoder row (one hypothesis), grown by
// one step per DecodeStep. Layout [step][layer][K|V][d_model].
struct DecoderCache {
  std::vector<float> kv;
  int length = 0;  // tokens already fed to the decoder
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
