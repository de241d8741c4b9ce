#ifndef GLOSSA_MODEL_FAMILIES_MARIAN_H_
#define GLOSSA_MODEL_FAMILIES_MARIAN_H_

#include "model/families/family.h"

namespace glossa::model {

// Marian / OPUS-MT (transformers' MarianMTModel): LayerNorm post-norm (or
// pre-norm with final norms when normalize_before), sinusoidal positions,
// sqrt(d_model) embedding scale when scale_embedding, relu / swish / gelu
// feed-forward, final_logits_bias, the MarianTokenizer.
const Family& Marian();

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_MARIAN_H_
