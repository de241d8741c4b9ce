#ifndef GLOSSA_SERVER_MODELS_MODEL_VERSION_H_
#define GLOSSA_SERVER_MODELS_MODEL_VERSION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "glossa/v1/glossa.pb.h"
#include "model/engine.h"
#include "server/calls/model_directory.h"
#include "server/metrics/metrics.h"
#include "server/models/model_spec.h"
#include "server/requests/request_validator.h"
#include "server/scheduling/scheduler.h"

// The registry's records (model_registry.h), shared by its two files:
// model_registry.cc (configuration, lookups, shutdown) and model_loader.cc
// (the loader and reaper threads).
namespace glossa::server {

// One loaded, warm version of a model. Members are destroyed in reverse
// order: the scheduler (which uses the others) first.
struct ModelVersion : ServingBackend {
  ModelSpec spec;
  std::string fingerprint;
  int64_t resident_bytes = 0;
  std::shared_ptr<const model::Engine> engine_owner;
  std::unique_ptr<Metrics> metrics;  // may be null
  std::unique_ptr<RequestValidator> validator_owner;
  std::unique_ptr<Scheduler> scheduler_owner;

  std::string VersionLabel() const {
    return spec.version.empty() ? fingerprint : spec.version;
  }
};

struct ModelEntry {
  // As the configuration last gave it, and its files' fingerprint then:
  // what a new configuration is compared with.
  ModelSpec configured;
  std::string configured_fingerprint;
  // What the next load loads (the configured spec, or LoadModel's).
  ModelSpec spec;
  std::shared_ptr<ModelVersion> current;  // the version serving; may be null
  v1::ModelState state = v1::MODEL_STATE_UNLOADED;
  std::string message;  // why the last load failed
  int pending_loads = 0;
  // UnloadModel: a start-up model stays out until LoadModel or a change.
  bool held_unloaded = false;
  bool removed = false;  // gone from the configuration: unloading
  // Added by LoadModel: kept until UnloadModel, whatever the configuration.
  bool added_at_runtime = false;
  absl::Time failed_at = absl::InfinitePast();  // the last failed load
  int64_t last_resident_bytes = 0;
  absl::Time last_used = absl::InfinitePast();
};

struct CachedEngine {
  std::weak_ptr<const model::Engine> engine;
  int64_t bytes = 0;
};

// Log lines of the registry, as the server's own ("glossa-server ...").
void LogModelEvent(const std::string& line);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_MODELS_MODEL_VERSION_H_
