#ifndef GLOSSA_MODEL_TOKENIZER_TOKENIZER_H_
#define GLOSSA_MODEL_TOKENIZER_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace glossa::model {

// Text <-> token ids for one model, as its family's Hugging Face tokenizer
// does it. Each family brings its own (marian_tokenizer.h: SentencePiece
// pieces numbered through vocab.json); the engine and the server see only
// this. Thread-safe.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Source text -> ids, ending with EOS. The text is valid UTF-8: the
  // engine checks it once (Engine::CheckSource) before any tokenizer sees
  // it.
  virtual absl::StatusOr<std::vector<int>> Encode(
      absl::string_view text) const = 0;
  // Target ids -> text; special and unknown ids are skipped.
  virtual std::string Decode(absl::Span<const int> ids) const = 0;

  virtual int vocab_size() const = 0;
  virtual int eos_id() const = 0;
  virtual int pad_id() const = 0;
  // The file that numbers the vocabulary (for messages that compare it
  // with config.json), e.g. "vocab.json".
  virtual std::string vocabulary_file() const = 0;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_TOKENIZER_H_
