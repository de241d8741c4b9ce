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

// The defaults every BART-derived config class shares (the "large" shape:
// d_model 1024, 12 + 12 layers, 16 heads, FFN 4096, 1024 positions;
// PretrainedConfig's num_beams 1 and max_length 20); each family sets the
// rest (vocabulary, special tokens, architecture).
ModelConfig BartStyleDefaults(const char* model_type);

// The same keys back, as transformers writes them.
nlohmann::json BartStyleConfigJson(const ModelConfig& config);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_BART_STYLE_H_
