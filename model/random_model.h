#ifndef GLOSSA_MODEL_RANDOM_MODEL_H_
#define GLOSSA_MODEL_RANDOM_MODEL_H_

#include <string>

#include "absl/status/status.h"
#include "model/config.h"
#include "model/model.h"

namespace glossa::model {

// The OPUS-MT base shape: d_model 512, 6+6 layers, 8 heads, FFN 2048,
// vocabulary 32000, swish, post-norm.
ModelConfig OpusMtBaseConfig();

// Deterministic random weights (normal, std 0.05; layer norms identity) for
// any Marian config, under Hugging Face tensor names.
TensorSource RandomTensors(const ModelConfig& config, uint64_t seed);

// Writes a MarianMT-layout directory with random weights: config.json and
// model.safetensors (F16); with `tokenizer_dir`, also its source.spm,
// target.spm and a vocab.json padded with filler pieces to vocab_size, so
// that the directory can be served.
absl::Status WriteRandomModel(const ModelConfig& config, uint64_t seed,
                              const std::string& out_dir,
                              const std::string& tokenizer_dir);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_RANDOM_MODEL_H_
