#ifndef GLOSSA_MODEL_FAMILIES_RANDOM_MODEL_H_
#define GLOSSA_MODEL_FAMILIES_RANDOM_MODEL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "model/io/config.h"
#include "model/io/tensor_source.h"
#include "model/transformer/checkpoint_layout.h"
#include "model/transformer/model.h"

namespace glossa::model {

// The OPUS-MT base shape: d_model 512, 6+6 layers, 8 heads, FFN 2048,
// vocabulary 32000, swish, post-norm.
ModelConfig OpusMtBaseConfig();

// The benchmark shapes by name: "opus-mt-base" (above) and "nllb-600m"
// (facebook/nllb-200-distilled-600M: d_model 1024, 12+12 layers, 16 heads,
// FFN 4096, vocabulary 256,206). InvalidArgument listing them otherwise.
absl::StatusOr<ModelConfig> BenchShapeConfig(absl::string_view shape);

// Deterministic random weights (normal, std 0.05; layer norms identity) for
// any config, under the names of `layout` (ExpectedTensors: shared
// embeddings, tied output projection).
TensorSource RandomTensors(const ModelConfig& config,
                           const CheckpointLayout& layout, uint64_t seed);

// A model with RandomTensors weights in its family's layout.
absl::StatusOr<std::shared_ptr<const Model>> RandomModel(
    const ModelConfig& config, uint64_t seed, const LoadOptions& options = {});

// Writes a model directory with random weights in the layout of the family
// config.model_type names: config.json and model.safetensors (F16). With
// `tokenizer_dir` (a Marian model), also its source.spm, target.spm and a
// vocab.json padded with filler pieces to vocab_size, so that the directory
// can be served.
absl::Status WriteRandomModel(const ModelConfig& config, uint64_t seed,
                              const std::string& out_dir,
                              const std::string& tokenizer_dir);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_RANDOM_MODEL_H_
