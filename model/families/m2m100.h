#ifndef GLOSSA_MODEL_FAMILIES_M2M100_H_
#define GLOSSA_MODEL_FAMILIES_M2M100_H_

#include "model/families/family.h"

namespace glossa::model {

// M2M100 and NLLB-200 (transformers' M2M100ForConditionalGeneration,
// model_type "m2m_100", dense checkpoints): pre-norm layers with final
// LayerNorms, ReLU, sqrt(d_model) embedding scale, fairseq's sinusoidal
// positions (computed, never stored), shared embeddings and a tied output
// projection. Tokenizer: NllbTokenizer (fairseq offset) or, when the
// directory has vocab.json, M2M100Tokenizer.
const Family& M2M100();

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_M2M100_H_
