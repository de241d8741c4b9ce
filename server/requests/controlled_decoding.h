#ifndef GLOSSA_SERVER_REQUESTS_CONTROLLED_DECODING_H_
#define GLOSSA_SERVER_REQUESTS_CONTROLLED_DECODING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "glossa/v1/glossa.pb.h"
#include "model/engine.h"

// What a request forces into the output: target prefixes and terminology,
// read from the proto and written with the model's target vocabulary.
namespace glossa::server {

// The limits of terminology beyond DecodingLimits' (terms per request).
inline constexpr int kMaxTermBytes = 256;

// `text` (named `field`) as the target ids the model would generate at
// `place`: valid UTF-8, spellable by the target vocabulary, at most
// `max_tokens` tokens. InvalidArgument naming the field otherwise.
absl::StatusOr<std::vector<int>> EncodeTargetText(
    const model::Engine& engine, const std::string& field,
    absl::string_view text, model::Tokenizer::TargetPlace place,
    int max_tokens);

// One terminology entry, checked and written in target ids.
struct TermIds {
  std::string source;       // empty: applies to every segment
  std::vector<int> target;  // target ids (kWithin: a word inside a sentence)
};

// options.terminology checked: at most `max_terms` entries, each target 1 to
// kMaxTermBytes bytes of UTF-8 the vocabulary spells in at most
// `max_term_tokens` tokens, each source at most kMaxTermBytes bytes.
absl::StatusOr<std::vector<TermIds>> ReadTerminology(
    const model::Engine& engine,
    const google::protobuf::RepeatedPtrField<v1::Term>& terms, int max_terms,
    int max_term_tokens);

// The indices of the terms that apply to `segment`: their source occurs in
// it as written (or is empty).
std::vector<int> ApplicableTerms(const std::vector<TermIds>& terms,
                                 absl::string_view segment);

// Whether `tokens` holds `phrase` contiguously.
bool ContainsPhrase(const std::vector<int>& tokens,
                    const std::vector<int>& phrase);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_CONTROLLED_DECODING_H_
