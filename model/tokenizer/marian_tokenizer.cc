#include "model/tokenizer/marian_tokenizer.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/file_util.h"
#include "base/status_macros.h"

namespace glossa::model {

absl::StatusOr<std::unique_ptr<MarianTokenizer>> MarianTokenizer::Load(
    const std::string& dir) {
  std::unique_ptr<MarianTokenizer> tokenizer(new MarianTokenizer());
  ASSIGN_OR_RETURN(tokenizer->source_,
                   SentencePieceModel::Load(dir + "/source.spm"));
  ASSIGN_OR_RETURN(tokenizer->target_,
                   SentencePieceModel::Load(dir + "/target.spm"));
  const std::string vocab_path = dir + "/vocab.json";
  ASSIGN_OR_RETURN(std::string vocab_text, base::ReadFileToString(vocab_path));
  const nlohmann::json vocab =
      nlohmann::json::parse(vocab_text, nullptr, /*allow_exceptions=*/false);
  if (vocab.is_discarded() || !vocab.is_object() || vocab.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(vocab_path, ": not a JSON object mapping pieces to ids"));
  }
  int max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > (1 << 24)) {
      return absl::InvalidArgumentError(
          absl::StrCat(vocab_path, ": piece '", it.key(),
                       "' has an invalid id ", it.value().dump()));
    }
    max_id = std::max(max_id, it.value().get<int>());
  }
  tokenizer->id_to_piece_.resize(max_id + 1);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const int id = it.value().get<int>();
    tokenizer->piece_to_id_[it.key()] = id;
    tokenizer->id_to_piece_[id] = it.key();
  }
  const auto special = [&](const char* piece, int* id) -> absl::Status {
    auto it = tokenizer->piece_to_id_.find(piece);
    if (it == tokenizer->piece_to_id_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(vocab_path, ": lacks the special token ", piece));
    }
    *id = it->second;
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(special("</s>", &tokenizer->eos_id_));
  RETURN_IF_ERROR(special("<unk>", &tokenizer->unk_id_));
  RETURN_IF_ERROR(special("<pad>", &tokenizer->pad_id_));
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
