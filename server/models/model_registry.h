#ifndef GLOSSA_SERVER_MODELS_MODEL_REGISTRY_H_
#define GLOSSA_SERVER_MODELS_MODEL_REGISTRY_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/calls/model_directory.h"
#include "server/metrics/metrics.h"
#include "server/models/model_spec.h"
#include "server/scheduling/clock.h"
#include "server/scheduling/compute_budget.h"

namespace glossa::server {

struct ModelVersion;  // model_version.h
struct ModelEntry;
struct CachedEngine;

struct RegistryOptions {
  // The compute threads all models share (ComputeBudget).
  int num_threads = 1;
  // Memory cap for the models' weights; 0: none. Before a load that would
  // pass it, on-demand models are unloaded, least recently used first.
  int64_t max_resident_bytes = 0;
  // Most models in memory at once; 0: no limit. Enforced the same way.
  int max_loaded_models = 0;
  // Longest a model's warm-up may take.
  absl::Duration warmup_timeout = absl::Minutes(5);
  // How long an unload (for the cap) waits for the model's requests.
  absl::Duration drain_timeout = absl::Seconds(30);
  // For ModelInfo.limits.
  int64_t max_message_bytes = 4 << 20;
  // What a model added by LoadModel starts from.
  SpecDefaults defaults;
  // Finished translations, shared by every model (keyed by version); null:
  // none. Must outlive the registry.
  TranslationCache* translation_cache = nullptr;
};

// The served models: each configured model and the version of it that
// serves. The one owner of every rule about which version answers a
// request:
// - Loads (start-up, first use of an on-demand model, a changed
//   configuration or files, LoadModel) run one at a time on the registry's
//   loader thread: engine, scheduler, warm-up, then an atomic switch. New
//   calls get the new version from then on; the old one is retired.
// - A retired version (replaced or unloaded) serves the calls that already
//   hold it and is released by the reaper thread once none does.
// - A failed load leaves the previous version serving; the failure shows in
//   ModelInfo.state_message, the log and glossa_model_loads_total.
// - All versions' schedulers share one ComputeBudget.
// - Two models loaded from the same files with the same compute type share
//   one engine (one copy of the weights); so does an unchanged reload.
// Thread-safe.
class ModelRegistry final : public ModelDirectory {
 public:
  // `clock` and `metrics` must outlive the registry.
  ModelRegistry(const RegistryOptions& options, const Clock* clock,
                Metrics* metrics);
  ~ModelRegistry() override;
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  // Called (on the registry's threads) whenever a model starts or stops
  // answering, with its name and aliases: for per-model health.
  using AvailabilityListener = std::function<void(
      const std::vector<std::string>& names, bool available)>;
  void SetAvailabilityListener(AvailabilityListener listener);

  // Makes `config` the served set: new models are added (start-up ones
  // load), models whose configuration or files changed load again (the old
  // version serves meanwhile), removed ones are unloaded. Models whose
  // settings and files are unchanged are left alone. Returns at once.
  void Apply(const ModelsConfig& config);
  // Waits until the start-up models of the last Apply have loaded (or
  // failed): the first failure, naming the model.
  absl::Status WaitForStartupModels();

  // Shutting down: every version stops accepting calls; then wait for
  // their calls (true when all ended), then stop everything.
  void StopAccepting();
  bool WaitUntilIdle(absl::Duration timeout);
  void Stop();

  // ModelDirectory.
  absl::StatusOr<std::shared_ptr<const ServingBackend>> Find(
      absl::string_view name) override;
  v1::ListModelsResponse List() const override;
  absl::StatusOr<v1::ModelInfo> Describe(absl::string_view name) const override;
  void Load(const v1::LoadModelRequest& request, InfoCallback done) override;
  void Unload(const v1::UnloadModelRequest& request,
              InfoCallback done) override;

  const ComputeBudget& compute_budget() const { return budget_; }

 private:
  struct Job {
    enum Kind { kLoad, kUnload } kind = kLoad;
    std::string name;
    bool force = false;  // load even when files and settings are unchanged
    uint64_t id = 0;     // its LoadModel / UnloadModel callback, if any
  };
  struct Retired {
    std::shared_ptr<ModelVersion> version;
    std::function<void()> released;  // may be empty
  };

  // Loader thread.
  void LoaderLoop();
  void RunLoad(const Job& job);
  void RunUnload(const Job& job);
  // The end of an unload, once the version has drained (reaper thread) or
  // when there was none to drain.
  void FinishUnload(const Job& job, bool drained);
  // Answers the LoadModel / UnloadModel call waiting for `job`, if any.
  void Answer(uint64_t job, const absl::StatusOr<v1::ModelInfo>& outcome);
  absl::StatusOr<std::shared_ptr<ModelVersion>> BuildVersion(
      const ModelSpec& spec, bool quiet_threads);
  // Unloads on-demand models other than `keep`, least recently used first,
  // until the models in memory fit the caps: with a new version of `keep`
  // of `incoming_bytes` (which replaces its current one), or as they are
  // when `incoming_bytes` < 0. RESOURCE_EXHAUSTED, unloading nothing, when
  // even unloading every on-demand model would not make them fit.
  absl::Status FitCaps(const std::string& keep, int64_t incoming_bytes);
  // Reaper thread.
  void ReaperLoop();

  // Under mu_.
  ModelEntry* FindEntryLocked(absl::string_view name, absl::Status* error) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  v1::ModelInfo InfoLocked(const ModelEntry& entry) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Queues `job`; its id.
  uint64_t EnqueueLocked(Job job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RetireLocked(std::shared_ptr<ModelVersion> version,
                    std::function<void()> released)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t ResidentBytesLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void NotifyAvailability(const ModelEntry& entry, bool available)
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const RegistryOptions options_;
  const Clock* const clock_;
  Metrics* const metrics_;
  ComputeBudget budget_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<ModelEntry>> entries_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> aliases_ ABSL_GUARDED_BY(mu_);
  std::string default_model_ ABSL_GUARDED_BY(mu_);
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  bool loading_ ABSL_GUARDED_BY(mu_) = false;  // the loader runs a job
  std::vector<Retired> retired_ ABSL_GUARDED_BY(mu_);
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  AvailabilityListener listener_ ABSL_GUARDED_BY(mu_);
  // LoadModel / UnloadModel calls waiting for their job, by job id.
  std::map<uint64_t, InfoCallback> callbacks_ ABSL_GUARDED_BY(mu_);
  uint64_t next_job_ ABSL_GUARDED_BY(mu_) = 1;
  // The reaper outlives the loader: a load or unload in progress at Stop()
  // may still retire a version and wait for it.
  bool reaper_stop_ ABSL_GUARDED_BY(mu_) = false;

  // Loader thread only.
  std::map<std::string, CachedEngine> engines_;

  std::thread loader_;
  std::thread reaper_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_MODELS_MODEL_REGISTRY_H_
