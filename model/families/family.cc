#include "model/families/family.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "model/families/bart.h"
#include "model/families/m2m100.h"
#include "model/families/marian.h"
#include "model/families/mbart.h"
#include "model/families/t5.h"
#include "model/io/safetensors_reader.h"

namespace glossa::model {
namespace {

// Every family the engine serves. A new family adds one line here.
const std::vector<const Family*>& Families() {
  static const auto* families = new std::vector<const Family*>{
      &Marian(), &M2M100(), &MBart(), &Bart(), &T5(), &MT5()};
  return *families;
}

}  // namespace

absl::StatusOr<const Family*> FindFamily(absl::string_view model_type) {
  if (model_type == "nllb-moe") {
    return absl::UnimplementedError(
        "model_type 'nllb-moe' (the mixture-of-experts NLLB-200) is not "
        "served; use a dense NLLB-200 checkpoint (model_type m2m_100, e.g. "
        "nllb-200-distilled-600M)");
  }
  std::vector<std::string> known;
  for (const Family* family : Families()) {
    if (family->model_type() == model_type) return family;
    known.emplace_back(family->model_type());
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "model_type '", base::ShortForMessage(model_type),
      "' is not a family Glossa serves (served: ", absl::StrJoin(known, ", "),
      ")"));
}

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text) {
  ASSIGN_OR_RETURN(const JsonFields fields,
                   JsonFields::Parse(json_text, "config.json"));
  std::string model_type(Marian().model_type());
  RETURN_IF_ERROR(fields.ReadString("model_type", &model_type));
  ASSIGN_OR_RETURN(const Family* family, FindFamily(model_type));
  return family->ParseConfig(fields);
}

absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  ASSIGN_OR_RETURN(std::string config_text,
                   base::ReadFileToString(config_path));
  absl::StatusOr<ModelConfig> config = ParseModelConfig(config_text);
  if (!config.ok()) {
    return absl::Status(
        config.status().code(),
        absl::StrCat(config_path, ": ", config.status().message()));
  }
  const std::string generation_path = dir + "/generation_config.json";
  if (auto generation_text = base::ReadFileToString(generation_path);
      generation_text.ok()) {
    const absl::Status status =
        ApplyGenerationConfig(*generation_text, &*config);
    if (!status.ok()) {
      return absl::Status(
          status.code(), absl::StrCat(generation_path, ": ", status.message()));
    }
  }
  return config;
}

absl::StatusOr<std::shared_ptr<const Model>> LoadModel(
    const std::string& dir, const LoadOptions& options) {
  ASSIGN_OR_RETURN(const ModelConfig config, ReadModelConfig(dir));
  ASSIGN_OR_RETURN(const Family* family, FindFamily(config.model_type));
  const std::string weights_path = dir + "/model.safetensors";
  ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsReader> reader,
                   SafetensorsReader::Open(weights_path));
  absl::StatusOr<std::shared_ptr<const Model>> model = Model::FromTensors(
      config, family->Layout(config), reader->AsTensorSource(), options);
  if (!model.ok()) {
    const absl::string_view message = model.status().message();
    // Tensor errors already name the file; others get the directory.
    if (absl::StrContains(message, weights_path)) return model.status();
    return absl::Status(model.status().code(),
                        absl::StrCat(dir, ": ", message));
  }
  return model;
}

}  // namespace glossa::model
