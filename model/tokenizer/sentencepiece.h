#ifndef GLOSSA_MODEL_TOKENIZER_SENTENCEPIECE_H_
#define GLOSSA_MODEL_TOKENIZER_SENTENCEPIECE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/tokenizer/tokenizer.h"

namespace glossa::model {

// One SentencePiece model, reached through the C-ABI shim library
// (spm_shim.h) that is loaded with dlopen: Debian's libsentencepiece carries
// protobuf 3.14 symbols that abort a process which also links gRPC's
// protobuf 3.21. Pieces in, pieces out; mapping pieces to ids is the
// tokenizer's business (each family numbers them its own way).
// Thread-safe after Load().
class SentencePieceModel {
 public:
  // NotFound when `path` cannot be read, InvalidArgument when it is not a
  // SentencePiece model, Internal when the shim cannot be loaded.
  static absl::StatusOr<std::unique_ptr<SentencePieceModel>> Load(
      const std::string& path);
  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  absl::StatusOr<std::vector<std::string>> Encode(absl::string_view text) const;
  // The same pieces, and the byte range of `text` each one covers.
  absl::StatusOr<std::vector<std::string>> EncodeWithSpans(
      absl::string_view text, std::vector<TokenSpan>* spans) const;
  // Every piece in SentencePiece's own id order (families that number
  // pieces by that order, with an offset, read it once at load).
  absl::StatusOr<std::vector<std::string>> Pieces() const;
  std::string Decode(const std::vector<const std::string*>& pieces) const;

  struct ShimLibrary;

 private:
  SentencePieceModel(const ShimLibrary* library, void* processor)
      : library_(library), processor_(processor) {}
  // The `count` NUL-separated pieces of a shim buffer, which is freed.
  std::vector<std::string> TakePieces(char* buffer, int count) const;
  const ShimLibrary* library_;
  void* processor_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_SENTENCEPIECE_H_
