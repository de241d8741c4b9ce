#ifndef GLOSSA_SERVER_CALLS_MODEL_DIRECTORY_H_
#define GLOSSA_SERVER_CALLS_MODEL_DIRECTORY_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "glossa/v1/glossa.pb.h"
#include "model/engine.h"
#include "server/requests/request_validator.h"
#include "server/requests/translation_cache.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

// One loaded, warm version of a model: what a call serves with. A call holds
// it (std::shared_ptr) from the moment it picks the model until it ends, so
// a version being replaced or unloaded is released only after its last call.
struct ServingBackend {
  const model::Engine* engine = nullptr;
  const RequestValidator* validator = nullptr;
  Scheduler* scheduler = nullptr;
  // The name responses carry (never an alias).
  std::string name;
  v1::ModelInfo info;
  // Unique to this loaded version, within the process: the translation
  // cache's entries are keyed by it. The cache may be null (none).
  uint64_t version_id = 0;
  TranslationCache* cache = nullptr;
};

// The models a server serves, as the front-ends see them. Implemented by
// the model registry (server/models/); thread-safe.
class ModelDirectory {
 public:
  using InfoCallback = std::function<void(absl::StatusOr<v1::ModelInfo>)>;

  virtual ~ModelDirectory() = default;

  // The version serving `name` (a name or an alias; "" is the default
  // model). NOT_FOUND naming the served models for an unknown name,
  // INVALID_ARGUMENT for "" without a default, UNAVAILABLE (saying why)
  // while the model cannot answer.
  virtual absl::StatusOr<std::shared_ptr<const ServingBackend>> Find(
      absl::string_view name) = 0;

  // Every configured model, by name.
  virtual v1::ListModelsResponse List() const = 0;
  // One model's info, whatever its state; NOT_FOUND as Find.
  virtual absl::StatusOr<v1::ModelInfo> Describe(
      absl::string_view name) const = 0;

  // Administration: `done` is called once, from another thread, when the
  // load or unload has ended.
  virtual void Load(const v1::LoadModelRequest& request, InfoCallback done) = 0;
  virtual void Unload(const v1::UnloadModelRequest& request,
                      InfoCallback done) = 0;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_CALLS_MODEL_DIRECTORY_H_
