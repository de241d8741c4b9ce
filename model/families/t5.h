#ifndef GLOSSA_MODEL_FAMILIES_T5_H_
#define GLOSSA_MODEL_FAMILIES_T5_H_

#include "model/families/family.h"

namespace glossa::model {

// T5, flan-T5 and T5 v1.1 (model_type "t5") and mT5 ("mt5"):
// transformers' T5ForConditionalGeneration. RMSNorm, pre-norm with final
// norms, no biases, no 1/sqrt(d) scaling of attention scores, d_kv
// independent of d_model / num_heads, bucketed relative position biases
// (bidirectional in the encoder, causal in the decoder; the first layer's
// table serves every layer), a ReLU or gated-GELU feed-forward, a tied
// output projection (decoder output scaled by d_model^-0.5) or an untied
// lm_head. Decoding starts from the pad token. Tokenizer: T5Tokenizer
// (spiece.model). Relative positions have no length limit of their own:
// inputs and outputs are bounded by n_positions (512 when absent).
const Family& T5();
const Family& MT5();

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_T5_H_
