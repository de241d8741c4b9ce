#include "server/models/model_registry.h"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "model/kernels/backend.h"
#include "server/models/model_info.h"
#include "server/models/model_version.h"

namespace glossa::server {
namespace {

constexpr size_t kMaxPathBytes = 4096;  // PATH_MAX
constexpr absl::Duration kRetryFailedAfter = absl::Seconds(30);

}  // namespace

ModelRegistry::ModelRegistry(const RegistryOptions& options, const Clock* clock,
                             Metrics* metrics)
    : options_(options),
      clock_(clock),
      metrics_(metrics),
      budget_(options.num_threads) {
  loader_ = std::thread([this] { LoaderLoop(); });
  reaper_ = std::thread([this] { ReaperLoop(); });
}

ModelRegistry::~ModelRegistry() { Stop(); }

void ModelRegistry::SetAvailabilityListener(AvailabilityListener listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

void ModelRegistry::NotifyAvailability(const ModelEntry& entry,
                                       bool available) {
  if (metrics_ != nullptr) {
    metrics_->ForModel(entry.spec.name)->SetModelAvailable(available);
  }
  if (!listener_) return;
  std::vector<std::string> names = entry.spec.aliases;
  names.insert(names.begin(), entry.spec.name);
  listener_(names, available);
}

// ---------------------------------------------------------------------------
// Configuration

void ModelRegistry::Apply(const ModelsConfig& config) {
  // Before the lock: on a network file system the stat calls take time,
  // and Find() needs the lock for every request.
  std::map<std::string, std::string> fingerprints;
  for (const ModelSpec& spec : config.models) {
    fingerprints[spec.name] = FingerprintDirectory(spec.path);
  }
  absl::MutexLock lock(&mu_);
  if (stop_) return;
  default_model_ = config.default_model;
  std::set<std::string> names;
  for (const ModelSpec& spec : config.models) {
    names.insert(spec.name);
    const std::string& fingerprint = fingerprints[spec.name];
    std::unique_ptr<ModelEntry>& slot = entries_[spec.name];
    if (slot == nullptr) {
      slot = std::make_unique<ModelEntry>();
      slot->configured = slot->spec = spec;
      slot->configured_fingerprint = fingerprint;
      if (spec.policy == LoadPolicy::kStartup) {
        slot->state = v1::MODEL_STATE_LOADING;
        EnqueueLocked({Job::kLoad, spec.name});
      }
      continue;
    }
    ModelEntry& entry = *slot;
    const bool changed = entry.removed || entry.configured.NeedsReload(spec) ||
                         entry.configured_fingerprint != fingerprint;
    entry.removed = false;
    entry.added_at_runtime = false;  // the configuration has it now
    entry.configured = spec;
    entry.configured_fingerprint = fingerprint;
    if (entry.current != nullptr && entry.spec.aliases != spec.aliases) {
      // Health per name: dropped aliases stop serving, new ones start.
      std::vector<std::string> dropped, added;
      for (const std::string& alias : entry.spec.aliases) {
        if (absl::c_find(spec.aliases, alias) == spec.aliases.end()) {
          dropped.push_back(alias);
        }
      }
      for (const std::string& alias : spec.aliases) {
        if (absl::c_find(entry.spec.aliases, alias) ==
            entry.spec.aliases.end()) {
          added.push_back(alias);
        }
      }
      if (listener_ && !dropped.empty()) listener_(dropped, false);
      if (listener_ && !added.empty()) listener_(added, true);
    }
    entry.spec.aliases = spec.aliases;
    entry.spec.policy = spec.policy;
    const bool wanted =
        entry.current != nullptr ||
        (spec.policy == LoadPolicy::kStartup && !entry.held_unloaded);
    if (changed) {
      entry.spec = spec;
      entry.held_unloaded = false;
      if (entry.current != nullptr || spec.policy == LoadPolicy::kStartup) {
        EnqueueLocked({Job::kLoad, spec.name});
      } else if (entry.state == v1::MODEL_STATE_FAILED) {
        // An on-demand model whose load failed: the next use tries the
        // changed files or settings.
        entry.state = v1::MODEL_STATE_UNLOADED;
        entry.message.clear();
      }
    } else if (wanted && entry.current == nullptr && entry.pending_loads == 0 &&
               entry.state == v1::MODEL_STATE_UNLOADED) {
      EnqueueLocked({Job::kLoad, spec.name});  // became a start-up model
    }
  }
  for (auto& [name, entry] : entries_) {
    if (names.count(name) > 0 || entry->removed || entry->added_at_runtime) {
      continue;
    }
    entry->removed = true;
    EnqueueLocked({Job::kUnload, name});
  }
  aliases_.clear();
  for (const auto& [name, entry] : entries_) {
    if (entry->removed) continue;
    for (const std::string& alias : entry->spec.aliases) aliases_[alias] = name;
  }
}

absl::Status ModelRegistry::WaitForStartupModels() {
  absl::MutexLock lock(&mu_);
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || (jobs_.empty() && !loading_);
  };
  mu_.Await(absl::Condition(&settled));
  for (const auto& [name, entry] : entries_) {
    if (!entry->removed && entry->spec.policy == LoadPolicy::kStartup &&
        entry->state == v1::MODEL_STATE_FAILED) {
      return absl::FailedPreconditionError(
          absl::StrCat("model \"", name, "\": ", entry->message));
    }
  }
  return absl::OkStatus();
}

uint64_t ModelRegistry::EnqueueLocked(Job job) {
  if (job.kind == Job::kLoad) {
    const auto it = entries_.find(job.name);
    if (it != entries_.end()) ++it->second->pending_loads;
  }
  job.id = next_job_++;
  jobs_.push_back(std::move(job));
  return jobs_.back().id;
}

// ---------------------------------------------------------------------------
// Lookups

ModelEntry* ModelRegistry::FindEntryLocked(absl::string_view name,
                                           absl::Status* error) const {
  std::string key(name);
  if (key.empty()) {
    if (default_model_.empty()) {
      std::vector<std::string> served;
      for (const auto& [n, entry] : entries_) {
        if (!entry->removed) served.push_back(n);
      }
      *error = absl::InvalidArgumentError(absl::StrCat(
          "this server serves several models and has no default; name one "
          "in `model`: ",
          absl::StrJoin(served, ", ")));
      return nullptr;
    }
    key = default_model_;
  }
  if (const auto alias = aliases_.find(key); alias != aliases_.end()) {
    key = alias->second;
  }
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second->removed) {
    std::vector<std::string> served;
    for (const auto& [n, entry] : entries_) {
      if (!entry->removed) served.push_back(n);
    }
    if (served.size() > 16) {
      served.resize(16);
      served.push_back("...");
    }
    *error = absl::NotFoundError(absl::StrCat(
        "model \"", base::ShortForMessage(name),
        "\" is not served here; served: ", absl::StrJoin(served, ", "),
        " (ListModels lists them with their aliases)"));
    return nullptr;
  }
  return it->second.get();
}

absl::StatusOr<std::shared_ptr<const ServingBackend>> ModelRegistry::Find(
    absl::string_view name) {
  absl::MutexLock lock(&mu_);
  if (!accepting_) {
    return absl::UnavailableError(
        "the server is shutting down; retry on another replica");
  }
  absl::Status error;
  ModelEntry* entry = FindEntryLocked(name, &error);
  if (entry == nullptr) return error;
  const std::string& model = entry->spec.name;
  if (entry->current != nullptr) {
    entry->last_used = clock_->Now();
    return std::shared_ptr<const ServingBackend>(entry->current);
  }
  switch (entry->state) {
    case v1::MODEL_STATE_LOADING:
      return absl::UnavailableError(absl::StrCat(
          "model \"", model, "\" is loading; retry in a few seconds"));
    case v1::MODEL_STATE_UNLOADING:
      return absl::UnavailableError(
          absl::StrCat("model \"", model, "\" is being unloaded"));
    case v1::MODEL_STATE_FAILED:
      // An on-demand model tries again once a while has passed (the files
      // may have been fixed, or memory freed); a start-up model waits for a
      // change or LoadModel.
      if (entry->spec.policy != LoadPolicy::kOnDemand ||
          clock_->Now() - entry->failed_at < kRetryFailedAfter) {
        return absl::FailedPreconditionError(absl::StrCat(
            "model \"", model, "\" failed to load: ", entry->message));
      }
      break;
    default:
      break;
  }
  if (entry->spec.policy == LoadPolicy::kOnDemand) {
    if (entry->pending_loads == 0) {
      entry->state = v1::MODEL_STATE_LOADING;
      EnqueueLocked({Job::kLoad, model});
    }
    return absl::UnavailableError(
        absl::StrCat("model \"", model,
                     "\" is loaded on first use and is loading now; retry "
                     "in a few seconds"));
  }
  return absl::UnavailableError(absl::StrCat(
      "model \"", model, "\" is unloaded; LoadModel loads it again"));
}

v1::ModelInfo ModelRegistry::InfoLocked(const ModelEntry& entry) const {
  v1::ModelInfo info;
  if (entry.current != nullptr) {
    info = entry.current->info;
    info.set_model_version(entry.current->VersionLabel());
    info.set_resident_bytes(entry.current->resident_bytes);
  } else {
    info.set_compute_type(entry.spec.compute_type);
    info.set_version(ServerVersion());
  }
  info.set_name(entry.spec.name);
  info.set_state(entry.current != nullptr ? v1::MODEL_STATE_AVAILABLE
                                          : entry.state);
  info.set_state_message(entry.message);
  info.clear_aliases();
  for (const std::string& alias : entry.spec.aliases) info.add_aliases(alias);
  info.set_load_policy(std::string(LoadPolicyName(entry.spec.policy)));
  info.set_is_default(entry.spec.name == default_model_);
  return info;
}

v1::ListModelsResponse ModelRegistry::List() const {
  absl::MutexLock lock(&mu_);
  v1::ListModelsResponse response;
  for (const auto& [name, entry] : entries_) {
    if (!entry->removed) *response.add_models() = InfoLocked(*entry);
  }
  return response;
}

absl::StatusOr<v1::ModelInfo> ModelRegistry::Describe(
    absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  absl::Status error;
  const ModelEntry* entry = FindEntryLocked(name, &error);
  if (entry == nullptr) return error;
  return InfoLocked(*entry);
}

// ---------------------------------------------------------------------------
// Administration

void ModelRegistry::Load(const v1::LoadModelRequest& request,
                         InfoCallback done) {
  absl::Status error;
  {
    absl::MutexLock lock(&mu_);
    if (stop_ || !accepting_) {
      error = absl::UnavailableError("the server is shutting down");
    } else if (!IsValidModelName(request.model())) {
      error = absl::InvalidArgumentError(
          "model must be a name of 1 to 64 of [A-Za-z0-9_.-]");
    } else if (request.path().size() > kMaxPathBytes) {
      error = absl::InvalidArgumentError(
          absl::StrCat("path must be at most ", kMaxPathBytes, " bytes, got ",
                       request.path().size()));
    } else if (!request.compute_type().empty() &&
               !model::ParseComputeType(request.compute_type()).ok()) {
      error = absl::InvalidArgumentError(
          absl::StrCat("compute_type must be float32, int8 or bfloat16, got \"",
                       base::ShortForMessage(request.compute_type()), "\""));
    } else {
      std::string name = request.model();
      if (const auto alias = aliases_.find(name); alias != aliases_.end()) {
        name = alias->second;
      }
      std::unique_ptr<ModelEntry>& slot = entries_[name];
      if (slot == nullptr || slot->removed) {
        if (request.path().empty()) {
          if (slot == nullptr) entries_.erase(name);
          error = absl::NotFoundError(
              absl::StrCat("model \"", base::ShortForMessage(name),
                           "\" is not configured; give `path` to add it"));
        } else if (slot == nullptr) {
          slot = std::make_unique<ModelEntry>();
          slot->spec = SpecFromDefaults(options_.defaults);
          slot->spec.name = name;
          slot->configured = slot->spec;
          slot->added_at_runtime = true;
        }
      }
      if (error.ok()) {
        ModelEntry& entry = *slot;
        entry.removed = false;
        entry.held_unloaded = false;
        if (!request.path().empty()) {
          entry.spec.path = request.path();
          entry.spec.version.clear();
        }
        if (!request.compute_type().empty()) {
          entry.spec.compute_type = request.compute_type();
        }
        if (entry.current == nullptr) entry.state = v1::MODEL_STATE_LOADING;
        callbacks_[EnqueueLocked({Job::kLoad, name, /*force=*/true})] =
            std::move(done);
        return;
      }
    }
  }
  done(error);
}

void ModelRegistry::Unload(const v1::UnloadModelRequest& request,
                           InfoCallback done) {
  absl::Status error;
  {
    absl::MutexLock lock(&mu_);
    ModelEntry* entry =
        stop_ ? nullptr : FindEntryLocked(request.model(), &error);
    if (stop_) error = absl::UnavailableError("the server is shutting down");
    if (entry != nullptr) {
      entry->held_unloaded = true;
      callbacks_[EnqueueLocked({Job::kUnload, entry->spec.name})] =
          std::move(done);
      return;
    }
  }
  done(error);
}

// ---------------------------------------------------------------------------
// Shutdown

void ModelRegistry::StopAccepting() {
  absl::MutexLock lock(&mu_);
  accepting_ = false;
  for (const auto& [name, entry] : entries_) {
    if (entry->current != nullptr) entry->current->scheduler->StopAccepting();
  }
  for (const Retired& retired : retired_) {
    retired.version->scheduler->StopAccepting();
  }
}

bool ModelRegistry::WaitUntilIdle(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<std::shared_ptr<ModelVersion>> versions;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : entries_) {
      if (entry->current != nullptr) versions.push_back(entry->current);
    }
    for (const Retired& retired : retired_) versions.push_back(retired.version);
  }
  for (const std::shared_ptr<ModelVersion>& version : versions) {
    if (!version->scheduler->WaitUntilIdle(
            std::max(absl::ZeroDuration(), deadline - absl::Now()))) {
      return false;
    }
  }
  return true;
}

void ModelRegistry::Stop() {
  std::vector<std::shared_ptr<ModelVersion>> versions;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
    accepting_ = false;
  }
  // The loader ends its job (a load in progress checks stop_ before its
  // warm-up); the reaper, still running, releases what it retires.
  if (loader_.joinable()) loader_.join();
  std::map<uint64_t, InfoCallback> callbacks;
  {
    absl::MutexLock lock(&mu_);
    reaper_stop_ = true;
    for (auto& [name, entry] : entries_) {
      if (entry->current != nullptr) versions.push_back(entry->current);
    }
    callbacks.swap(callbacks_);
  }
  if (reaper_.joinable()) reaper_.join();
  for (const std::shared_ptr<ModelVersion>& version : versions) {
    version->scheduler_owner->Stop();
  }
  for (auto& [job, callback] : callbacks) {
    callback(absl::UnavailableError("the server is shutting down"));
  }
}

}  // namespace glossa::server
