#include "server/models/model_spec.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "model/kernels/compute_type.h"

namespace glossa::server {
namespace {

using nlohmann::json;

constexpr size_t kMaxNameBytes = 64;
constexpr char kSettingsFile[] = "glossa.json";

bool IsDirectory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool IsFile(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// The names in `dir` (no "." entries or hidden files), sorted.
std::vector<std::string> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return names;
  while (const dirent* entry = ::readdir(handle)) {
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Join(const std::string& dir, const std::string& name) {
  if (name.empty() || name.front() == '/') return name;
  if (dir.empty()) return name;
  return absl::StrCat(dir, dir.back() == '/' ? "" : "/", name);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string BaseName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Fills `spec.path` and `spec.version` from a model folder: its highest
// numbered sub-folder that holds a config.json, else the folder itself.
void ResolveVersion(const std::string& folder, ModelSpec* spec) {
  int64_t best = -1;
  for (const std::string& name : ListDirectory(folder)) {
    int64_t number = 0;
    if (!absl::SimpleAtoi(name, &number) || number < 0 ||
        !IsFile(Join(Join(folder, name), "config.json"))) {
      continue;
    }
    if (number > best) {
      best = number;
      spec->version = name;
    }
  }
  spec->path = best >= 0 ? Join(folder, spec->version) : folder;
  if (best < 0) spec->version.clear();
}

// Reads one entry's settings (everything but name and path) onto `spec`.
absl::Status ReadSettings(const json& entry, absl::string_view where,
                          ModelSpec* spec) {
  static const auto* const kKnown =
      new std::vector<std::string>{"name",
                                   "path",
                                   "compute_type",
                                   "aliases",
                                   "load",
                                   "max_batch_size",
                                   "max_batch_tokens",
                                   "max_queue_size",
                                   "max_segments",
                                   "max_input_tokens",
                                   "max_output_tokens",
                                   "max_beam_size"};
  const auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
  };
  if (!entry.is_object()) return fail("must be a JSON object");
  for (const auto& [key, value] : entry.items()) {
    if (std::find(kKnown->begin(), kKnown->end(), key) == kKnown->end()) {
      return fail(absl::StrCat("unknown setting \"", key.substr(0, 40),
                               "\"; known: ", absl::StrJoin(*kKnown, ", ")));
    }
  }
  if (entry.contains("compute_type")) {
    const json& value = entry["compute_type"];
    if (!value.is_string() ||
        !model::ParseComputeType(value.get<std::string>()).ok()) {
      return fail("compute_type must be \"float32\", \"int8\" or \"bfloat16\"");
    }
    spec->compute_type = value.get<std::string>();
  }
  if (entry.contains("aliases")) {
    const json& value = entry["aliases"];
    if (!value.is_array()) return fail("aliases must be a list of names");
    spec->aliases.clear();
    for (const json& alias : value) {
      if (!alias.is_string() || !IsValidModelName(alias.get<std::string>())) {
        return fail(absl::StrCat("aliases must be names of 1 to ",
                                 kMaxNameBytes, " of [A-Za-z0-9_.-]"));
      }
      spec->aliases.push_back(alias.get<std::string>());
    }
  }
  if (entry.contains("load")) {
    const json& value = entry["load"];
    if (value == "startup") {
      spec->policy = LoadPolicy::kStartup;
    } else if (value == "on_demand") {
      spec->policy = LoadPolicy::kOnDemand;
    } else {
      return fail("load must be \"startup\" or \"on_demand\"");
    }
  }
  const std::pair<const char*, int*> numbers[] = {
      {"max_batch_size", &spec->scheduler.max_batch_size},
      {"max_batch_tokens", &spec->scheduler.max_batch_tokens},
      {"max_queue_size", &spec->scheduler.max_queue_size},
      {"max_segments", &spec->limits.max_segments},
      {"max_input_tokens", &spec->limits.max_input_tokens},
      {"max_output_tokens", &spec->limits.max_output_tokens},
      {"max_beam_size", &spec->limits.max_beam_size}};
  for (const auto& [key, target] : numbers) {
    if (!entry.contains(key)) continue;
    const json& value = entry[key];
    if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
        value.get<int64_t>() > (1 << 24)) {
      return fail(absl::StrCat(key, " must be a whole number >= 1"));
    }
    *target = value.get<int>();
  }
  if (spec->scheduler.max_batch_tokens <= spec->scheduler.max_batch_size) {
    return fail(absl::StrCat(
        "max_batch_tokens (", spec->scheduler.max_batch_tokens,
        ") must be > max_batch_size (", spec->scheduler.max_batch_size, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ParseJsonFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(path));
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  return root;
}

absl::Status ScanRepository(const std::string& dir,
                            const SpecDefaults& defaults,
                            std::map<std::string, ModelSpec>* models) {
  if (!IsDirectory(dir)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--model_repository: ", dir, " is not a directory"));
  }
  for (const std::string& name : ListDirectory(dir)) {
    const std::string folder = Join(dir, name);
    if (!IsDirectory(folder) || !IsValidModelName(name)) continue;
    ModelSpec spec = SpecFromDefaults(defaults);
    spec.name = name;
    ResolveVersion(folder, &spec);
    const std::string settings = Join(folder, kSettingsFile);
    if (IsFile(settings)) {
      ASSIGN_OR_RETURN(json entry, ParseJsonFile(settings));
      RETURN_IF_ERROR(ReadSettings(entry, settings, &spec));
    }
    (*models)[name] = std::move(spec);
  }
  return absl::OkStatus();
}

absl::Status ReadConfigFile(const std::string& path,
                            const SpecDefaults& defaults,
                            std::map<std::string, ModelSpec>* models,
                            std::string* default_model) {
  ASSIGN_OR_RETURN(json root, ParseJsonFile(path));
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": must be a JSON object with \"models\""));
  }
  for (const auto& [key, value] : root.items()) {
    if (key != "models" && key != "default_model") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown key \"", key.substr(0, 40),
                       "\" (\"models\" and \"default_model\" are known)"));
    }
  }
  if (root.contains("default_model")) {
    if (!root["default_model"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": default_model must be a model name"));
    }
    *default_model = root["default_model"].get<std::string>();
  }
  if (!root.contains("models") || !root["models"].is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": \"models\" must be a list of models"));
  }
  std::map<std::string, ModelSpec> read;
  int index = 0;
  for (const json& entry : root["models"]) {
    const std::string where = absl::StrCat(path, ": models[", index++, "]");
    if (!entry.is_object() || !entry.contains("name") ||
        !entry["name"].is_string() ||
        !IsValidModelName(entry["name"].get<std::string>())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": needs a \"name\" of 1 to ", kMaxNameBytes,
                       " of [A-Za-z0-9_.-]"));
    }
    if (!entry.contains("path") || !entry["path"].is_string() ||
        entry["path"].get<std::string>().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": needs a \"path\" (the model directory)"));
    }
    ModelSpec spec = SpecFromDefaults(defaults);
    spec.name = entry["name"].get<std::string>();
    ResolveVersion(Join(DirName(path), entry["path"].get<std::string>()),
                   &spec);
    RETURN_IF_ERROR(ReadSettings(entry, where, &spec));
    if (read.count(spec.name) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the name \"", spec.name, "\" is used twice"));
    }
    read[spec.name] = std::move(spec);
  }
  for (auto& [name, spec] : read) (*models)[name] = std::move(spec);
  return absl::OkStatus();
}

}  // namespace

ModelSpec SpecFromDefaults(const SpecDefaults& defaults) {
  ModelSpec spec;
  spec.compute_type = defaults.compute_type;
  spec.policy = defaults.policy;
  spec.limits = defaults.limits;
  spec.scheduler = defaults.scheduler;
  return spec;
}

absl::string_view LoadPolicyName(LoadPolicy policy) {
  return policy == LoadPolicy::kStartup ? "startup" : "on_demand";
}

bool ModelSpec::NeedsReload(const ModelSpec& other) const {
  const auto limits = [](const ModelSpec& s) {
    return std::make_tuple(
        s.limits.max_segments, s.limits.max_input_tokens,
        s.limits.max_output_tokens, s.limits.max_beam_size,
        s.limits.max_stop_sequences, s.limits.max_stop_sequence_bytes,
        s.scheduler.max_batch_size, s.scheduler.max_batch_tokens,
        s.scheduler.max_queue_size, s.scheduler.max_queue_delay,
        s.scheduler.batching);
  };
  return path != other.path || version != other.version ||
         compute_type != other.compute_type || limits(*this) != limits(other);
}

bool IsValidModelName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
         });
}

absl::StatusOr<ModelsConfig> ReadModels(const ModelSources& sources,
                                        const SpecDefaults& defaults) {
  std::map<std::string, ModelSpec> models;
  std::string default_model;
  if (sources.repository.empty() && sources.config_file.empty()) {
    ModelSpec spec = SpecFromDefaults(defaults);
    spec.name = sources.model_name.empty() ? BaseName(sources.model_dir)
                                           : sources.model_name;
    spec.path = sources.model_dir;
    spec.policy = LoadPolicy::kStartup;
    models[spec.name] = std::move(spec);
  }
  if (!sources.repository.empty()) {
    RETURN_IF_ERROR(ScanRepository(sources.repository, defaults, &models));
  }
  if (!sources.config_file.empty()) {
    RETURN_IF_ERROR(
        ReadConfigFile(sources.config_file, defaults, &models, &default_model));
  }
  if (!sources.default_model.empty()) default_model = sources.default_model;

  ModelsConfig config;
  absl::flat_hash_map<std::string, std::string> owners;  // name -> model
  for (auto& [name, spec] : models) {
    std::vector<std::string> taken_names = spec.aliases;
    taken_names.insert(taken_names.begin(), name);
    for (const std::string& taken : taken_names) {
      auto [it, added] = owners.emplace(taken, name);
      if (!added && it->second != name) {
        return absl::InvalidArgumentError(
            absl::StrCat("the name \"", taken, "\" is used by models \"",
                         it->second, "\" and \"", name, "\""));
      }
    }
    config.models.push_back(std::move(spec));
  }
  if (default_model.empty() && config.models.size() == 1) {
    default_model = config.models.front().name;
  }
  if (!default_model.empty()) {
    const auto owner = owners.find(default_model);
    if (owner == owners.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the default model \"", default_model, "\" is not among the models (",
          absl::StrJoin(config.models, ", ",
                        [](std::string* out, const ModelSpec& spec) {
                          out->append(spec.name);
                        }),
          ")"));
    }
    default_model = owner->second;
  }
  config.default_model = default_model;
  return config;
}

std::string FingerprintDirectory(const std::string& dir) {
  // FNV-1a, not absl::Hash: the value is shown to users (ModelInfo's
  // model_version), so it must be the same in every process and replica.
  uint64_t hash = 14695981039346656037ull;
  const auto mix = [&hash](absl::string_view bytes) {
    for (const char c : bytes) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
  };
  for (const std::string& name : ListDirectory(dir)) {
    struct stat info;
    if (::stat(Join(dir, name).c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
      continue;
    }
    mix(absl::StrCat(name, "\n", info.st_size, "\n", info.st_mtim.tv_sec, ".",
                     info.st_mtim.tv_nsec, "\n"));
  }
  return absl::StrFormat("%016x", hash);
}

}  // namespace glossa::server
