#ifndef GLOSSA_MODEL_FAMILIES_FAMILY_H_
#define GLOSSA_MODEL_FAMILIES_FAMILY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/io/config.h"
#include "model/io/json_fields.h"
#include "model/tokenizer/tokenizer.h"
#include "model/transformer/checkpoint_layout.h"
#include "model/transformer/model.h"

namespace glossa::model {

// A model family (Marian, and next M2M100 / NLLB, mBART, BART, T5): what
// its Hugging Face checkpoints look like. A family is data plus these few
// functions, in one file of this folder (marian.cc); nothing outside the
// folder asks which family a model is. The forward pass reads the
// Architecture the family puts into the config, the loader reads tensors by
// the family's CheckpointLayout, and the engine talks to its Tokenizer.
class Family {
 public:
  virtual ~Family() = default;

  // The model_type of config.json ("marian").
  virtual absl::string_view model_type() const = 0;

  // config.json -> ModelConfig, Architecture included. Keys a checkpoint
  // leaves out take the family's defaults (those of transformers'
  // <Family>Config: the only place they are written). InvalidArgument
  // names the field; Unimplemented says what the engine lacks.
  virtual absl::StatusOr<ModelConfig> ParseConfig(
      const JsonFields& config_json) const = 0;

  // config.json for `config`, as transformers would write it (random-weight
  // models for benchmarks).
  virtual std::string ConfigJson(const ModelConfig& config) const = 0;

  // Where the weights are in this family's checkpoints.
  virtual CheckpointLayout Layout(const ModelConfig& config) const = 0;

  // The family's tokenizer from the files it ships in `dir`.
  virtual absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
      const std::string& dir, const ModelConfig& config) const = 0;
};

// The family whose model_type this is; InvalidArgument listing the served
// families otherwise.
absl::StatusOr<const Family*> FindFamily(absl::string_view model_type);

// config.json text -> config, through the family its model_type names. A
// config without model_type is read as Marian, the family the project's
// own models and the OPUS-MT checkpoints belong to.
absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text);

// A model directory's config.json, then generation_config.json (when
// present) over it, as generate() applies them. Errors name the file.
absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& dir);

// The weights of a model directory (config files and model.safetensors,
// mmapped), through its family's layout; no tokenizer (Engine::Load adds
// it). Errors name the path and the reason.
absl::StatusOr<std::shared_ptr<const Model>> LoadModel(
    const std::string& dir, const LoadOptions& options = {});

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_FAMILY_H_
