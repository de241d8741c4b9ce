#ifndef GLOSSA_MODEL_FAMILIES_MBART_H_
#define GLOSSA_MODEL_FAMILIES_MBART_H_

#include "model/families/family.h"

namespace glossa::model {

// mBART and mBART-50 (transformers' MBartForConditionalGeneration,
// model_type "mbart"): pre-norm layers with layernorm_embedding and final
// LayerNorms, learned positions with the offset of 2, GELU,
// final_logits_bias, shared embeddings. Tokenizer: MBart50Tokenizer.
const Family& MBart();

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_MBART_H_
