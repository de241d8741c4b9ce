#ifndef GLOSSA_SERVER_MODELS_MODEL_SPEC_H_
#define GLOSSA_SERVER_MODELS_MODEL_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/requests/request_validator.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

enum class LoadPolicy {
  kStartup,   // loaded when the server starts (or the model is added); kept
  kOnDemand,  // loaded on first use; unloaded first when memory is short
};
absl::string_view LoadPolicyName(LoadPolicy policy);

// What a model is to be served as: one entry of the model repository or the
// models config file, with the server's flags filled in where it is silent.
struct ModelSpec {
  std::string name;
  // The directory loaded: the model folder, or in a versioned repository
  // folder its highest numbered sub-folder.
  std::string path;
  std::string version;  // that sub-folder's name; "" when unversioned
  std::string compute_type;
  std::vector<std::string> aliases;
  LoadPolicy policy = LoadPolicy::kStartup;
  RequestLimits limits;
  SchedulerOptions scheduler;  // compute_budget is set by the registry

  // Whether serving `other` needs another load than serving this (path,
  // version, compute type or limits differ). Aliases and policy do not.
  bool NeedsReload(const ModelSpec& other) const;
};

// The settings every model starts from (the server's flags).
struct SpecDefaults {
  std::string compute_type = "float32";
  LoadPolicy policy = LoadPolicy::kStartup;
  RequestLimits limits;
  SchedulerOptions scheduler;
};

// A spec with every setting from `defaults` (name and path empty).
ModelSpec SpecFromDefaults(const SpecDefaults& defaults);

struct ModelsConfig {
  std::vector<ModelSpec> models;  // sorted by name
  std::string default_model;      // "" when requests must name one
};

// Where the models come from (server flags). With neither `repository` nor
// `config_file`, the single model `model_dir` named `model_name` (default:
// its folder name).
struct ModelSources {
  std::string model_dir;
  std::string model_name;
  std::string repository;
  std::string config_file;
  std::string default_model;
};

// Reads every source into one list:
// - the repository: each sub-folder is a model named after it. It holds the
//   model's files (config.json ...) or numbered version folders ("1", "2",
//   ...), of which the highest is served. An optional glossa.json in the
//   model folder holds its settings, as one entry of the config file.
// - the config file (JSON): {"default_model": NAME, "models": [{"name",
//   "path" (relative to the file's folder), "compute_type", "aliases",
//   "load": "startup" | "on_demand", "max_batch_size", "max_batch_tokens",
//   "max_queue_size", "max_segments", "max_input_tokens",
//   "max_output_tokens", "max_beam_size"}]}; its entries replace the
//   repository's of the same name.
// The default model is `default_model`, else the config file's, else the
// only model. InvalidArgument names the file, the entry and the problem:
// unknown keys, bad values, names or aliases used twice.
absl::StatusOr<ModelsConfig> ReadModels(const ModelSources& sources,
                                        const SpecDefaults& defaults);

// What identifies the files of a model directory as loaded: every regular
// file's name, size and modification time, hashed (16 hex digits). A model
// whose fingerprint is unchanged is not loaded again.
std::string FingerprintDirectory(const std::string& dir);

// Model and alias names: 1 to 64 of [A-Za-z0-9_.-].
bool IsValidModelName(absl::string_view name);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_MODELS_MODEL_SPEC_H_
