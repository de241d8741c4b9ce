#ifndef GLOSSA_MODEL_FAMILIES_BART_STYLE_H_
#define GLOSSA_MODEL_FAMILIES_BART_STYLE_H_

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "model/io/config.h"
#include "model/io/json_fields.h"

namespace glossa::model {

// The config.json keys that every BART-derived family (Marian, M2M100 /
// NLLB, mBART, BART) spells the same way: sizes, special tokens, the
// generation defaults, scale_embedding and activation_function. Keys that
// are absent keep what `config` holds (the family's defaults).
absl::Status ReadBartStyleFields(const JsonFields& fields, ModelConfig* config);

// The same keys back, as transformers writes them.
nlohmann::json BartStyleConfigJson(const ModelConfig& config);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_BART_STYLE_H_
