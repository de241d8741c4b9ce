#include "model/tokenizer/t5_tokenizer.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/file_util.h"
#include "base/status_macros.h"

namespace glossa::model {
namespace {

constexpr char kSpmFile[] = "spiece.model";

}  // namespace

absl::StatusOr<std::unique_ptr<T5Tokenizer>> T5Tokenizer::Load(
    const std::string& dir, int vocab_size) {
  const std::string spm_path = absl::StrCat(dir, "/", kSpmFile);
  if (!base::ReadFileToString(spm_path).ok() &&
      base::ReadFileToString(dir + "/tokenizer.json").ok()) {
    return absl::NotFoundError(absl::StrCat(
        dir, " has tokenizer.json but not ", kSpmFile,
        ", the SentencePiece model Glossa tokenizes with; copy it from the "
        "original checkpoint (the hub repository ships it)"));
  }
  std::unique_ptr<T5Tokenizer> tokenizer(new T5Tokenizer());
  ASSIGN_OR_RETURN(tokenizer->spm_, SentencePieceModel::Load(spm_path));
  ASSIGN_OR_RETURN(tokenizer->pieces_, tokenizer->spm_->Pieces());
  const std::vector<std::string>& pieces = tokenizer->pieces_;
  // T5's SentencePiece models number <pad> </s> <unk> 0, 1, 2 themselves.
  const char* const specials[] = {"<pad>", "</s>", "<unk>"};
  for (int id = 0; id < 3; ++id) {
    if (static_cast<int>(pieces.size()) <= id || pieces[id] != specials[id]) {
      return absl::InvalidArgumentError(absl::StrCat(
          spm_path, ": piece ", id, " must be ", specials[id],
          " (a T5 SentencePiece model numbers <pad> </s> <unk> 0, 1, 2)"));
    }
  }
  if (vocab_size < static_cast<int>(pieces.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(spm_path, " has ", pieces.size(),
                     " pieces but config.json's vocab_size is ", vocab_size));
  }
  tokenizer->vocab_size_ = vocab_size;
  for (size_t id = 3; id < pieces.size(); ++id) {
    tokenizer->piece_to_id_.emplace(pieces[id], static_cast<int>(id));
  }
  if (auto text = base::ReadFileToString(dir + "/tokenizer_config.json");
      text.ok()) {
    const nlohmann::json config =
        nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir, "/tokenizer_config.json: not a JSON object"));
    }
    if (const auto it = config.find("clean_up_tokenization_spaces");
        it != config.end() && it->is_boolean()) {
      tokenizer->clean_up_spaces_ = it->get<bool>();
    }
  }
  return tokenizer;
}

absl::StatusOr<std::vector<int>> T5Tokenizer::Encode(
    absl::string_view text) const {
  ASSIGN_OR_RETURN(std::vector<std::string> pieces, spm_->Encode(text));
  std::vector<int> ids;
  ids.reserve(pieces.size() + 1);
  for (const std::string& piece : pieces) {
    const auto it = piece_to_id_.find(piece);
    ids.push_back(it == piece_to_id_.end() ? unk_id_ : it->second);
  }
  ids.push_back(eos_id_);
  return ids;
}

absl::StatusOr<std::vector<TokenSpan>> T5Tokenizer::EncodeSpans(
    absl::string_view text) const {
  std::vector<TokenSpan> spans;
  RETURN_IF_ERROR(spm_->EncodeWithSpans(text, &spans).status());
  spans.push_back(
      {static_cast<int>(text.size()), static_cast<int>(text.size())});
  return spans;
}

absl::StatusOr<std::vector<int>> T5Tokenizer::EncodeTarget(
    absl::string_view text, TargetPlace /*place*/) const {
  // One SentencePiece model writes both sides.
  ASSIGN_OR_RETURN(std::vector<std::string> pieces, spm_->Encode(text));
  return TargetIdsOfPieces(pieces, piece_to_id_);
}

std::string T5Tokenizer::Decode(absl::Span<const int> ids) const {
  std::vector<const std::string*> pieces;
  pieces.reserve(ids.size());
  for (int id : ids) {
    // Special tokens are 0-2; sentinels and padding ids lie past the pieces.
    if (id < 3 || id >= static_cast<int>(pieces_.size())) continue;
    pieces.push_back(&pieces_[id]);
  }
  std::string text = spm_->Decode(pieces);
  if (clean_up_spaces_) text = CleanUpTokenizationSpaces(text);
  return std::string(absl::StripAsciiWhitespace(text));
}

}  // namespace glossa::model
