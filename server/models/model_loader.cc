#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "model/kernels/backend.h"
#include "server/models/model_info.h"
#include "server/models/model_registry.h"
#include "server/models/model_version.h"
#include "server/models/warmup.h"

namespace glossa::server {

namespace {

// Bytes the allocator has handed out and not taken back: a load's growth of
// it is what the model's weights hold.
int64_t HeapBytesInUse() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

// Which loaded engine a spec can share: the same files (the real path, so
// that two names or links to one checkpoint share it) and compute type.
std::string EngineKey(const ModelSpec& spec, const std::string& fingerprint) {
  char resolved[PATH_MAX];
  const char* path = ::realpath(spec.path.c_str(), resolved) != nullptr
                         ? resolved
                         : spec.path.c_str();
  return absl::StrCat(path, "|", fingerprint, "|", spec.compute_type);
}

// What a model never loaded may need: the size of its files.
int64_t FilesBytes(const std::string& dir) {
  int64_t total = 0;
  for (const char* name :
       {"model.safetensors", "pytorch_model.bin", "model.npz"}) {
    struct stat info;
    if (::stat(absl::StrCat(dir, "/", name).c_str(), &info) == 0) {
      total += info.st_size;
    }
  }
  return total;
}

std::string Mib(int64_t bytes) {
  return absl::StrCat(bytes / (1 << 20), " MiB");
}

}  // namespace

void LogModelEvent(const std::string& line) {
  std::printf("glossa-server %s\n", line.c_str());
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// The loader thread

void ModelRegistry::LoaderLoop() {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || !jobs_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      loading_ = true;
    }
    if (job.kind == Job::kLoad) {
      RunLoad(job);
    } else {
      RunUnload(job);
    }
    absl::MutexLock lock(&mu_);
    loading_ = false;
  }
}

void ModelRegistry::Answer(uint64_t job,
                           const absl::StatusOr<v1::ModelInfo>& outcome) {
  InfoCallback callback;
  {
    absl::MutexLock lock(&mu_);
    const auto it = callbacks_.find(job);
    if (it == callbacks_.end()) return;  // none, or Stop() answered it
    callback = std::move(it->second);
    callbacks_.erase(it);
  }
  callback(outcome);
}

void ModelRegistry::RunLoad(const Job& job) {
  const std::string& name = job.name;
  const bool force = job.force;
  ModelSpec spec;
  std::shared_ptr<ModelVersion> current;
  bool others_serving = false;
  int64_t estimate = 0;
  bool gone = false;
  {
    absl::MutexLock lock(&mu_);
    const auto it = entries_.find(name);
    ModelEntry* entry = it == entries_.end() ? nullptr : it->second.get();
    if (entry != nullptr) --entry->pending_loads;
    gone = entry == nullptr || entry->removed || stop_;
    if (!gone) {
      spec = entry->spec;
      current = entry->current;
      for (const auto& [other, e] : entries_) {
        others_serving |= e->current != nullptr;
      }
      estimate = entry->last_resident_bytes;
    }
  }
  if (gone) {
    Answer(job.id, absl::NotFoundError(absl::StrCat(
                       "model \"", name, "\" is no longer configured")));
    return;
  }
  const std::string fingerprint = FingerprintDirectory(spec.path);
  if (!force && current != nullptr && !current->spec.NeedsReload(spec) &&
      current->fingerprint == fingerprint) {
    Answer(job.id, Describe(name));
    return;  // unchanged: nothing to load
  }
  const std::string key = EngineKey(spec, fingerprint);
  if (const auto cached = engines_.find(key);
      cached != engines_.end() && !cached->second.engine.expired()) {
    estimate = 0;  // shares a loaded engine
  } else if (estimate == 0) {
    estimate = FilesBytes(spec.path);
  }
  absl::Status status = FitCaps(name, estimate);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::shared_ptr<ModelVersion>> built =
      status.ok() ? BuildVersion(spec, others_serving) : status;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  std::shared_ptr<ModelVersion> retired;
  absl::StatusOr<v1::ModelInfo> outcome = absl::UnknownError("");
  {
    absl::MutexLock lock(&mu_);
    const auto it = entries_.find(name);
    ModelEntry* entry = it == entries_.end() ? nullptr : it->second.get();
    if (entry == nullptr || entry->removed) {
      outcome = absl::UnavailableError(
          absl::StrCat("model \"", name,
                       "\" was removed from the configuration while it "
                       "loaded"));
      if (built.ok()) RetireLocked(*std::move(built), nullptr);
    } else if (!built.ok()) {
      entry->message = std::string(built.status().message());
      entry->failed_at = clock_->Now();
      // The next load starts again from what serves (or is configured), not
      // from the path or compute type that failed; unless a newer request
      // (LoadModel, a new configuration) changed the spec meanwhile.
      if (!entry->spec.NeedsReload(spec) && !spec.NeedsReload(entry->spec)) {
        ModelSpec restored = entry->current != nullptr ? entry->current->spec
                                                       : entry->configured;
        restored.aliases = entry->spec.aliases;
        restored.policy = entry->spec.policy;
        entry->spec = std::move(restored);
      }
      if (entry->current == nullptr) entry->state = v1::MODEL_STATE_FAILED;
      if (metrics_ != nullptr) metrics_->ForModel(name)->CountModelLoad(false);
      const std::string serving =
          entry->current == nullptr
              ? ""
              : absl::StrCat("; version ", entry->current->VersionLabel(),
                             " keeps serving");
      LogModelEvent(absl::StrCat("model=", name,
                                 " load failed: ", entry->message, serving));
      // Over the caps stays RESOURCE_EXHAUSTED and shutting down
      // UNAVAILABLE; anything else is the files' (FAILED_PRECONDITION).
      outcome = absl::Status(
          absl::IsResourceExhausted(built.status()) ||
                  absl::IsUnavailable(built.status())
              ? built.status().code()
              : absl::StatusCode::kFailedPrecondition,
          absl::StrCat("model \"", name, "\" failed to load: ", entry->message,
                       serving));
    } else {
      std::shared_ptr<ModelVersion> old = std::move(entry->current);
      entry->current = *std::move(built);
      entry->state = v1::MODEL_STATE_AVAILABLE;
      entry->message.clear();
      entry->last_resident_bytes = entry->current->resident_bytes;
      entry->last_used = clock_->Now();
      if (old != nullptr) {
        RetireLocked(std::move(old), nullptr);
      } else {
        NotifyAvailability(*entry, true);
      }
      if (metrics_ != nullptr) {
        std::unique_ptr<Metrics> series = metrics_->ForModel(name);
        series->CountModelLoad(true);
        series->SetModelLoadSeconds(seconds);
        series->SetModelResidentBytes(entry->current->resident_bytes);
      }
      LogModelEvent(absl::StrCat(
          "model=", name, " version=", entry->current->VersionLabel(),
          " serving compute_type=", spec.compute_type,
          " load_seconds=", absl::StrFormat("%.2f", seconds),
          " resident=", Mib(entry->current->resident_bytes)));
      outcome = InfoLocked(*entry);
    }
  }
  // The estimate may have been short: unload more if the caps are passed
  // now (never the model just loaded).
  if (outcome.ok()) FitCaps(name, /*incoming_bytes=*/-1).IgnoreError();
  Answer(job.id, outcome);
}

absl::StatusOr<std::shared_ptr<ModelVersion>> ModelRegistry::BuildVersion(
    const ModelSpec& spec, bool others_serving) {
  auto version = std::make_shared<ModelVersion>();
  version->spec = spec;
  version->name = spec.name;
  version->fingerprint = FingerprintDirectory(spec.path);
  ASSIGN_OR_RETURN(const model::ComputeType compute_type,
                   model::ParseComputeType(spec.compute_type));
  const std::string key = EngineKey(spec, version->fingerprint);
  CachedEngine& cached = engines_[key];
  version->engine_owner = cached.engine.lock();
  if (version->engine_owner != nullptr) {
    version->resident_bytes = cached.bytes;
  } else {
    // A load beside serving models packs on one thread: their requests keep
    // the other cores.
    model::SetComputeThreads(others_serving ? 1 : budget_.threads());
    model::LoadOptions load_options;
    load_options.compute_type = compute_type;
    const int64_t before = HeapBytesInUse();
    ASSIGN_OR_RETURN(version->engine_owner,
                     model::Engine::Load(spec.path, load_options));
    version->resident_bytes = std::max<int64_t>(0, HeapBytesInUse() - before);
    cached = CachedEngine{version->engine_owner, version->resident_bytes};
    // oneDNN fixes a kernel's thread count when it is made, and a model's
    // share of the threads changes with how many models have work: make
    // the kernels of every share now, not on the request path.
    std::set<int> shares;
    for (int models = 1; models <= budget_.threads(); ++models) {
      shares.insert(std::max(1, budget_.threads() / models));
    }
    for (const int threads : shares) {
      model::SetComputeThreads(threads);
      RETURN_IF_ERROR(version->engine_owner->model()->PrepareKernels());
    }
    model::SetComputeThreads(others_serving ? 1 : budget_.threads());
  }
  for (auto it = engines_.begin(); it != engines_.end();) {
    it = it->second.engine.expired() ? engines_.erase(it) : std::next(it);
  }
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::UnavailableError("the server is shutting down");
  }
  const model::Engine& engine = *version->engine_owner;
  if (metrics_ != nullptr) version->metrics = metrics_->ForModel(spec.name);
  version->validator_owner = std::make_unique<RequestValidator>(
      version->engine_owner, spec.limits, spec.name);
  SchedulerOptions scheduler_options = spec.scheduler;
  scheduler_options.compute_budget = &budget_;
  ASSIGN_OR_RETURN(
      version->scheduler_owner,
      Scheduler::Create(scheduler_options, MakeEngineDecoder(engine), clock_,
                        version->metrics.get()));
  version->scheduler_owner->Start();
  RETURN_IF_ERROR(
      WarmUp(version->scheduler_owner.get(), engine, options_.warmup_timeout));
  static std::atomic<uint64_t> next_version_id{1};
  version->version_id = next_version_id++;
  version->cache = options_.translation_cache;
  version->engine = &engine;
  version->validator = version->validator_owner.get();
  version->scheduler = version->scheduler_owner.get();
  version->info = DescribeModel(
      spec.name, engine.config(), engine.languages(),
      version->validator->defaults(), engine.compute_type(),
      version->validator->limits(), spec.scheduler, options_.max_message_bytes);
  return version;
}

void ModelRegistry::RunUnload(const Job& job) {
  {
    absl::MutexLock lock(&mu_);
    const auto it = entries_.find(job.name);
    if (it != entries_.end() && it->second->current != nullptr) {
      ModelEntry& entry = *it->second;
      entry.state = v1::MODEL_STATE_UNLOADING;
      NotifyAvailability(entry, false);
      // Drains without holding up the loader: the version goes once its
      // last call has ended, and the unload is answered then.
      RetireLocked(std::move(entry.current),
                   [this, job] { FinishUnload(job, /*drained=*/true); });
      return;
    }
  }
  FinishUnload(job, /*drained=*/false);
}

void ModelRegistry::FinishUnload(const Job& job, bool drained) {
  absl::StatusOr<v1::ModelInfo> outcome = absl::NotFoundError(
      absl::StrCat("model \"", job.name, "\" is no longer configured"));
  {
    absl::MutexLock lock(&mu_);
    const auto it = entries_.find(job.name);
    if (it != entries_.end()) {
      ModelEntry& entry = *it->second;
      if (entry.current == nullptr && entry.pending_loads == 0 &&
          entry.state == v1::MODEL_STATE_UNLOADING) {
        entry.state = v1::MODEL_STATE_UNLOADED;
      }
      if (drained) LogModelEvent(absl::StrCat("model=", job.name, " unloaded"));
      outcome = InfoLocked(entry);
      if (entry.removed && entry.pending_loads == 0 &&
          entry.current == nullptr) {
        for (const std::string& alias : entry.spec.aliases) {
          if (const auto a = aliases_.find(alias);
              a != aliases_.end() && a->second == job.name) {
            aliases_.erase(a);
          }
        }
        entries_.erase(it);
      }
    }
  }
  Answer(job.id, outcome);
}

absl::Status ModelRegistry::FitCaps(const std::string& keep,
                                    int64_t incoming_bytes) {
  if (options_.max_resident_bytes <= 0 && options_.max_loaded_models <= 0) {
    return absl::OkStatus();
  }
  const bool incoming = incoming_bytes >= 0;
  while (true) {
    auto released = std::make_shared<absl::Notification>();
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return absl::UnavailableError("the server is shutting down");
      // What is in memory, without `keep`'s version when a new one is
      // coming (it replaces it), and what unloading could free: the engines
      // that only on-demand models other than `keep` use. Retired versions
      // still hold their memory until their calls end.
      struct Held {
        int64_t bytes = 0;
        bool pinned = false;  // used by a version that stays
      };
      std::map<const model::Engine*, Held> engines;
      int loaded = 0, evictable = 0;
      ModelEntry* victim = nullptr;
      for (const auto& [name, entry] : entries_) {
        if (entry->current == nullptr || (incoming && name == keep)) continue;
        Held& held = engines[entry->current->engine];
        held.bytes = entry->current->resident_bytes;
        ++loaded;
        if (name == keep || entry->spec.policy != LoadPolicy::kOnDemand) {
          held.pinned = true;
          continue;
        }
        ++evictable;
        if (victim == nullptr || entry->last_used < victim->last_used) {
          victim = entry.get();
        }
      }
      for (const Retired& retired : retired_) {
        Held& held = engines[retired.version->engine];
        held.bytes = retired.version->resident_bytes;
        held.pinned = true;
      }
      int64_t resident = 0, evictable_bytes = 0;
      for (const auto& [engine, held] : engines) {
        resident += held.bytes;
        if (!held.pinned) evictable_bytes += held.bytes;
      }
      const auto fits = [&](int64_t bytes, int models) {
        return (options_.max_resident_bytes <= 0 ||
                bytes <= options_.max_resident_bytes) &&
               (options_.max_loaded_models <= 0 ||
                models <= options_.max_loaded_models);
      };
      const int64_t adding = incoming ? incoming_bytes : 0;
      const int adding_models = incoming ? 1 : 0;
      if (fits(resident + adding, loaded + adding_models)) {
        return absl::OkStatus();
      }
      if (!fits(resident - evictable_bytes + adding,
                loaded - evictable + adding_models)) {
        // Unloading every on-demand model would not do: unload none.
        return absl::ResourceExhaustedError(absl::StrCat(
            "the models in memory (", loaded, ", ", Mib(resident), ")",
            incoming ? absl::StrCat(" and this one (about ", Mib(adding), ")")
                     : "",
            " do not fit --max_resident_bytes / --max_loaded_models, even "
            "with every on-demand model unloaded"));
      }
      LogModelEvent(absl::StrCat(
          "model=", victim->spec.name,
          " unloading (least recently used) to make room for ", keep));
      victim->state = v1::MODEL_STATE_UNLOADING;
      NotifyAvailability(*victim, false);
      RetireLocked(std::move(victim->current), [this, released,
                                                name = victim->spec.name] {
        {
          absl::MutexLock lock(&mu_);
          const auto it = entries_.find(name);
          if (it != entries_.end() && it->second->current == nullptr &&
              it->second->state == v1::MODEL_STATE_UNLOADING) {
            it->second->state = v1::MODEL_STATE_UNLOADED;
          }
        }
        released->Notify();
      });
    }
    released->WaitForNotificationWithTimeout(options_.drain_timeout);
  }
}

int64_t ModelRegistry::ResidentBytesLocked() const {
  // Engines shared by several models count once.
  std::set<const model::Engine*> counted;
  int64_t total = 0;
  for (const auto& [name, entry] : entries_) {
    if (entry->current != nullptr &&
        counted.insert(entry->current->engine).second) {
      total += entry->current->resident_bytes;
    }
  }
  return total;
}

// ---------------------------------------------------------------------------
// Retiring versions

void ModelRegistry::RetireLocked(std::shared_ptr<ModelVersion> version,
                                 std::function<void()> released) {
  retired_.push_back(Retired{std::move(version), std::move(released)});
}

void ModelRegistry::ReaperLoop() {
  while (true) {
    std::vector<Retired> done;
    bool exit = false;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || reaper_stop_ || !retired_.empty();
      };
      mu_.Await(absl::Condition(&wake));
      if (stop_) {
        // Shutting down: the versions' calls are cut short (their
        // schedulers stop) and whoever waits for a release goes on.
        done.swap(retired_);
      }
      // Only the list holds it: no call has it, and none can get it.
      for (auto it = retired_.begin(); it != retired_.end();) {
        if (it->version.use_count() == 1) {
          done.push_back(std::move(*it));
          it = retired_.erase(it);
        } else {
          ++it;
        }
      }
      exit = reaper_stop_ && retired_.empty();
    }
    for (Retired& retired : done) {
      retired.version->scheduler_owner->Stop();
      retired.version.reset();
      if (retired.released) retired.released();
    }
    if (exit) return;
    if (done.empty()) absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace glossa::server
