#include "model/tokenizer/fairseq_tokenizer.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "model/tokenizer/vocab_json.h"

namespace glossa::model {
namespace {

using nlohmann::json;

constexpr char kSpmFile[] = "sentencepiece.bpe.model";
// fairseq's dictionary puts these four first; SentencePiece's own first
// three pieces (<unk> <s> </s>) are replaced by them.
constexpr const char* kFairseqSpecials[] = {"<s>", "<pad>", "</s>", "<unk>"};
constexpr int kFairseqOffset = 1;
constexpr int kSpmControlPieces = 3;

bool FileExists(const std::string& path) {
  return base::ReadFileToString(path).ok();
}

// A JSON file of the tokenizer, or an empty object when it is absent.
absl::StatusOr<json> ReadOptionalJson(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (!text.ok()) return json::object();
  json parsed = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object"));
  }
  return parsed;
}

// additional_special_tokens as strings (entries may be AddedToken objects
// with a "content").
std::vector<std::string> TokenList(const json& file) {
  std::vector<std::string> tokens;
  const auto it = file.find("additional_special_tokens");
  if (it == file.end() || !it->is_array()) return tokens;
  for (const json& entry : *it) {
    if (entry.is_string()) {
      tokens.push_back(entry.get<std::string>());
    } else if (entry.is_object() && entry.contains("content") &&
               entry["content"].is_string()) {
      tokens.push_back(entry["content"].get<std::string>());
    }
  }
  return tokens;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FairseqTokenizer>> FairseqTokenizer::Load(
    const std::string& dir, Numbering numbering) {
  const std::string spm_path = absl::StrCat(dir, "/", kSpmFile);
  if (!FileExists(spm_path) && FileExists(dir + "/tokenizer.json")) {
    return absl::NotFoundError(absl::StrCat(
        dir, " has tokenizer.json but not ", kSpmFile,
        ", the SentencePiece model Glossa tokenizes with; copy it from the "
        "original checkpoint (the hub repository ships it)"));
  }
  std::unique_ptr<FairseqTokenizer> tokenizer(new FairseqTokenizer());
  ASSIGN_OR_RETURN(tokenizer->spm_, SentencePieceModel::Load(spm_path));
  int first_code_id = 0;
  if (numbering == Numbering::kFairseqOffset) {
    ASSIGN_OR_RETURN(const std::vector<std::string> pieces,
                     tokenizer->spm_->Pieces());
    tokenizer->vocabulary_file_ = kSpmFile;
    tokenizer->id_to_piece_.assign(pieces.size() + kFairseqOffset, "");
    tokenizer->special_.assign(tokenizer->id_to_piece_.size(), false);
    for (int id = 0; id < 4; ++id) tokenizer->special_[id] = true;
    for (size_t i = kSpmControlPieces; i < pieces.size(); ++i) {
      const int id = static_cast<int>(i) + kFairseqOffset;
      tokenizer->id_to_piece_[id] = pieces[i];
      tokenizer->piece_to_id_.emplace(pieces[i], id);
    }
    first_code_id = static_cast<int>(pieces.size()) + kFairseqOffset;
  } else {
    tokenizer->vocabulary_file_ = "vocab.json";
    ASSIGN_OR_RETURN(VocabJson vocab, ReadVocabJson(dir + "/vocab.json"));
    tokenizer->special_.assign(vocab.id_to_piece.size(), false);
    int* const special_ids[] = {nullptr, &tokenizer->pad_id_,
                                &tokenizer->eos_id_, &tokenizer->unk_id_};
    for (int k = 0; k < 4; ++k) {
      ASSIGN_OR_RETURN(const int id, vocab.SpecialId(kFairseqSpecials[k]));
      if (special_ids[k] != nullptr) *special_ids[k] = id;
      tokenizer->special_[id] = true;
    }
    tokenizer->piece_to_id_ = std::move(vocab.piece_to_id);
    tokenizer->id_to_piece_ = std::move(vocab.id_to_piece);
    // HF: the codes follow len(vocab.json), whatever its largest id.
    first_code_id = static_cast<int>(vocab.entries);
  }
  RETURN_IF_ERROR(tokenizer->ReadLanguages(dir, first_code_id));
  return tokenizer;
}

absl::Status FairseqTokenizer::ReadLanguages(const std::string& dir,
                                             int first_code_id) {
  const std::string config_path = dir + "/tokenizer_config.json";
  const std::string map_path = dir + "/special_tokens_map.json";
  ASSIGN_OR_RETURN(const json config, ReadOptionalJson(config_path));
  ASSIGN_OR_RETURN(const json map, ReadOptionalJson(map_path));
  std::vector<std::string> codes = TokenList(config);
  if (codes.empty()) codes = TokenList(map);
  if (codes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        dir,
        ": neither tokenizer_config.json nor special_tokens_map.json "
        "lists the language codes (additional_special_tokens)"));
  }
  // Recent tokenizer_config.json files number every added token
  // explicitly; those ids win over the positional rule.
  absl::flat_hash_map<std::string, int> explicit_ids;
  int largest_id = first_code_id + static_cast<int>(codes.size());
  if (const auto it = config.find("added_tokens_decoder");
      it != config.end() && it->is_object()) {
    for (auto entry = it->begin(); entry != it->end(); ++entry) {
      int id = 0;
      if (!absl::SimpleAtoi(entry.key(), &id) || id < 0 || id > (1 << 24) ||
          !entry.value().is_object() || !entry.value().contains("content") ||
          !entry.value()["content"].is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(config_path, ": added_tokens_decoder entry '",
                         entry.key(), "' is not {id: {\"content\": ...}}"));
      }
      explicit_ids[entry.value()["content"].get<std::string>()] = id;
      largest_id = std::max(largest_id, id);
    }
  }
  languages_.scheme = LanguageTokens::Scheme::kSourceAndForcedTarget;
  for (size_t i = 0; i < codes.size(); ++i) {
    const auto it = explicit_ids.find(codes[i]);
    const int id = it != explicit_ids.end()
                       ? it->second
                       : first_code_id + static_cast<int>(i);
    languages_.codes.push_back(codes[i]);
    languages_.ids.push_back(id);
  }
  // <mask> follows the codes (fairseq numbering); it is never generated
  // on purpose but must decode to nothing.
  int mask_id = first_code_id + static_cast<int>(codes.size());
  if (const auto it = explicit_ids.find("<mask>"); it != explicit_ids.end()) {
    mask_id = it->second;
  }
  vocab_size_ = std::max(
      {static_cast<int>(id_to_piece_.size()), largest_id, mask_id + 1});
  id_to_piece_.resize(vocab_size_);
  special_.resize(vocab_size_, false);
  for (int id : languages_.ids) special_[id] = true;
  special_[mask_id] = true;
  for (const auto& [content, id] : explicit_ids) special_[id] = true;
  if (const auto it = config.find("src_lang");
      it != config.end() && it->is_string()) {
    languages_.default_source = it->get<std::string>();
  }
  if (const auto it = config.find("clean_up_tokenization_spaces");
      it != config.end() && it->is_boolean()) {
    clean_up_spaces_ = it->get<bool>();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> FairseqTokenizer::Encode(
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

absl::StatusOr<std::vector<TokenSpan>> FairseqTokenizer::EncodeSpans(
    absl::string_view text) const {
  std::vector<TokenSpan> spans;
  RETURN_IF_ERROR(spm_->EncodeWithSpans(text, &spans).status());
  spans.push_back(
      {static_cast<int>(text.size()), static_cast<int>(text.size())});
  return spans;
}

absl::StatusOr<std::vector<int>> FairseqTokenizer::EncodeTarget(
    absl::string_view text, TargetPlace /*place*/) const {
  // One SentencePiece model writes both sides.
  ASSIGN_OR_RETURN(std::vector<std::string> pieces, spm_->Encode(text));
  return TargetIdsOfPieces(pieces, piece_to_id_);
}

std::string FairseqTokenizer::Decode(absl::Span<const int> ids) const {
  std::vector<const std::string*> pieces;
  pieces.reserve(ids.size());
  for (int id : ids) {
    if (id < 0 || id >= vocab_size_ || special_[id] ||
        id_to_piece_[id].empty()) {
      continue;
    }
    pieces.push_back(&id_to_piece_[id]);
  }
  std::string text = spm_->Decode(pieces);
  if (clean_up_spaces_) text = CleanUpTokenizationSpaces(text);
  return std::string(absl::StripAsciiWhitespace(text));
}

}  // namespace glossa::model
