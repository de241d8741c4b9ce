#ifndef GLOSSA_MODEL_FAMILIES_BART_H_
#define GLOSSA_MODEL_FAMILIES_BART_H_

#include "model/families/family.h"

namespace glossa::model {

// BART (transformers' BartForConditionalGeneration, model_type "bart":
// bart-base, bart-large and fine-tunes such as bart-large-cnn): post-norm
// layers with layernorm_embedding and no final LayerNorms, learned
// positions with the offset of 2, GELU, final_logits_bias, shared
// embeddings. Decoding starts from </s> with <s> forced first
// (forced_bos_token_id); the checkpoint's generation settings (beams,
// length penalty, min_length, no_repeat_ngram_size, early_stopping) become
// the defaults. Tokenizer: BartTokenizer (byte-level BPE).
const Family& Bart();

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_FAMILIES_BART_H_
