#include "model/tokenizer/marian_tokenizer.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "model/tokenizer/vocab_json.h"

namespace glossa::model {

absl::StatusOr<std::unique_ptr<MarianTokenizer>> MarianTokenizer::Load(
    const std::string& dir) {
  std::unique_ptr<MarianTokenizer> tokenizer(new MarianTokenizer());
  ASSIGN_OR_RETURN(tokenizer->source_,
                   SentencePieceModel::Load(dir + "/source.spm"));
  ASSIGN_OR_RETURN(tokenizer->target_,
                   SentencePieceModel::Load(dir + "/target.spm"));
  ASSIGN_OR_RETURN(VocabJson vocab, ReadVocabJson(dir + "/vocab.json"));
  ASSIGN_OR_RETURN(tokenizer->eos_id_, vocab.SpecialId("</s>"));
  ASSIGN_OR_RETURN(tokenizer->unk_id_, vocab.SpecialId("<unk>"));
  ASSIGN_OR_RETURN(tokenizer->pad_id_, vocab.SpecialId("<pad>"));
  tokenizer->piece_to_id_ = std::move(vocab.piece_to_id);
  tokenizer->id_to_piece_ = std::move(vocab.id_to_piece);
  LanguageTokens& languages = tokenizer->languages_;
  for (size_t id = 0; id < tokenizer->id_to_piece_.size(); ++id) {
    absl::string_view piece = tokenizer->id_to_piece_[id];
    if (piece.size() > 4 && absl::ConsumePrefix(&piece, ">>") &&
        absl::ConsumeSuffix(&piece, "<<")) {
      languages.codes.emplace_back(piece);
      languages.ids.push_back(static_cast<int>(id));
    }
  }
  if (!languages.codes.empty()) {
    languages.scheme = LanguageTokens::Scheme::kTargetInSource;
  }
  return tokenizer;
}

absl::StatusOr<std::vector<int>> MarianTokenizer::Encode(
    absl::string_view text) const {
  std::vector<int> ids;
  // A leading language code such as ">>fra<<" (multilingual OPUS-MT) is one
  // token, not SentencePiece input.
  std::string rest(text);
  if (absl::StartsWith(text, ">>")) {
    const size_t end = text.rfind("<<");
    if (end != absl::string_view::npos && end > 2) {
      const std::string code(text.substr(0, end + 2));
      auto it = piece_to_id_.find(code);
      ids.push_back(it == piece_to_id_.end() ? unk_id_ : it->second);
      rest = std::string(text.substr(end + 2));
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> pieces, source_->Encode(rest));
  for (const std::string& piece : pieces) {
    auto it = piece_to_id_.find(piece);
    ids.push_back(it == piece_to_id_.end() ? unk_id_ : it->second);
  }
  ids.push_back(eos_id_);
  return ids;
}

absl::StatusOr<std::vector<TokenSpan>> MarianTokenizer::EncodeSpans(
    absl::string_view text) const {
  // Encode's tokens, in its order: the ">>xx<<" code, the pieces, EOS.
  std::vector<TokenSpan> spans;
  size_t rest = 0;
  if (absl::StartsWith(text, ">>")) {
    const size_t end = text.rfind("<<");
    if (end != absl::string_view::npos && end > 2) {
      rest = end + 2;
      spans.push_back({0, static_cast<int>(rest)});
    }
  }
  std::vector<TokenSpan> pieces;
  RETURN_IF_ERROR(
      source_->EncodeWithSpans(text.substr(rest), &pieces).status());
  for (const TokenSpan& span : pieces) {
    spans.push_back({span.begin + static_cast<int>(rest),
                     span.end + static_cast<int>(rest)});
  }
  spans.push_back(
      {static_cast<int>(text.size()), static_cast<int>(text.size())});
  return spans;
}

absl::StatusOr<std::vector<int>> MarianTokenizer::EncodeTarget(
    absl::string_view text, TargetPlace /*place*/) const {
  ASSIGN_OR_RETURN(std::vector<std::string> pieces, target_->Encode(text));
  return TargetIdsOfPieces(pieces, piece_to_id_);
}

std::string MarianTokenizer::Decode(absl::Span<const int> ids) const {
  std::vector<const std::string*> pieces;
  pieces.reserve(ids.size());
  for (int id : ids) {
    if (id == eos_id_ || id == pad_id_ || id == unk_id_ || id < 0 ||
        id >= static_cast<int>(id_to_piece_.size()) ||
        id_to_piece_[id].empty()) {
      continue;
    }
    pieces.push_back(&id_to_piece_[id]);
  }
  std::string text = target_->Decode(pieces);
  // Marian's decoder turns any remaining word-boundary marks into spaces and
  // strips the ends.
  static const std::string kBoundary = "\xe2\x96\x81";  // U+2581
  for (size_t pos = text.find(kBoundary); pos != std::string::npos;
       pos = text.find(kBoundary, pos)) {
    text.replace(pos, kBoundary.size(), " ");
  }
  return std::string(absl::StripAsciiWhitespace(text));
}

}  // namespace glossa::model
