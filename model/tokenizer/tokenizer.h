#ifndef GLOSSA_MODEL_TOKENIZER_TOKENIZER_H_
#define GLOSSA_MODEL_TOKENIZER_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace glossa::model {

// The languages a multilingual model takes, as its tokenizer spells them,
// and where their tokens go. A model with no codes translates one fixed
// pair.
struct LanguageTokens {
  enum class Scheme {
    kNone,
    // The target language's token leads the source (OPUS-MT's ">>fra<<").
    kTargetInSource,
    // The source language's token leads the source and the target's is
    // forced as the first generated token (NLLB-200, M2M100, mBART-50).
    kSourceAndForcedTarget,
  };
  Scheme scheme = Scheme::kNone;
  // The model's codes ("deu_Latn", "__de__", "de_DE"; "fra" for the
  // ">>fra<<" token) and the token id of each, in id order.
  std::vector<std::string> codes;
  std::vector<int> ids;
  // The source language when a request names none (tokenizer_config.json
  // src_lang, as Hugging Face's tokenizers default it); empty: required.
  std::string default_source;
};

// The bytes [begin, end) of a text that one token covers.
struct TokenSpan {
  int begin = 0;
  int end = 0;
};

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

  // The byte range of `text` each id of Encode(text) covers, one per id
  // (special tokens: an empty range at the text's start or end). For word
  // alignments; Unimplemented for a tokenizer that cannot tell.
  virtual absl::StatusOr<std::vector<TokenSpan>> EncodeSpans(
      absl::string_view text) const;

  // Where a target text goes in the output: at its start (a forced
  // prefix), or after other words (a terminology term), which byte-level
  // BPE spells with a leading space.
  enum class TargetPlace { kStart, kWithin };
  // Target text -> the ids the model would generate for it: target-side
  // pieces, no language token, no EOS. Forced prefixes and terminology
  // constraints are written with it. InvalidArgument when a piece is not in
  // the target vocabulary (the model could never produce it); Unimplemented
  // for a tokenizer without a target side.
  virtual absl::StatusOr<std::vector<int>> EncodeTarget(
      absl::string_view text, TargetPlace place) const;

  virtual int vocab_size() const = 0;
  virtual int eos_id() const = 0;
  virtual int pad_id() const = 0;
  // The file that numbers the vocabulary (for messages that compare it
  // with config.json), e.g. "vocab.json".
  virtual std::string vocabulary_file() const = 0;

  // The languages the model takes (none by default).
  virtual const LanguageTokens& languages() const {
    static const LanguageTokens* none = new LanguageTokens();
    return *none;
  }
};

// The ids of target pieces through `piece_to_id`, for EncodeTarget: a piece
// the vocabulary lacks is InvalidArgument naming it, never an unknown id
// the model would have to produce.
absl::StatusOr<std::vector<int>> TargetIdsOfPieces(
    const std::vector<std::string>& pieces,
    const absl::flat_hash_map<std::string, int>& piece_to_id);

// Hugging Face's clean_up_tokenization: drops the space before . ? ! , and
// English contractions (" n't", " 's", ...), as decode() does when a
// tokenizer_config.json sets clean_up_tokenization_spaces.
std::string CleanUpTokenizationSpaces(absl::string_view text);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_TOKENIZER_TOKENIZER_H_
