#include "model/tokenizer/bart_tokenizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "model/io/json_fields.h"

namespace glossa::model {
namespace {

constexpr const char* kSpecials[] = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};

}  // namespace

absl::StatusOr<std::unique_ptr<BartTokenizer>> BartTokenizer::Load(
    const std::string& dir) {
  for (const char* file : {"vocab.json", "merges.txt"}) {
    if (!base::ReadFileToString(absl::StrCat(dir, "/", file)).ok()) {
      return absl::NotFoundError(absl::StrCat(
          dir, " lacks ", file,
          ": a BART tokenizer needs vocab.json and merges.txt (the hub "
          "repository ships both beside tokenizer.json)"));
    }
  }
  std::unique_ptr<BartTokenizer> tokenizer(new BartTokenizer());
  ASSIGN_OR_RETURN(tokenizer->bpe_, ByteLevelBpe::Load(dir + "/vocab.json",
                                                       dir + "/merges.txt"));
  const ByteLevelBpe& bpe = *tokenizer->bpe_;
  tokenizer->special_.assign(bpe.vocab_size(), false);
  for (const char* piece : kSpecials) {
    const int id = bpe.IdOf(piece);
    if (id >= 0) tokenizer->special_[id] = true;
  }
  int* const ids[] = {&tokenizer->bos_id_, &tokenizer->pad_id_,
                      &tokenizer->eos_id_, &tokenizer->unk_id_};
  for (int i = 0; i < 4; ++i) {
    *ids[i] = bpe.IdOf(kSpecials[i]);
    if (*ids[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          dir, "/vocab.json: lacks the special token ", kSpecials[i]));
    }
  }

  // <mask>, the last entry, is never produced: the pre-tokenizer splits the
  // text "<mask>" into three words. Some configs leave its embedding row out
  // (bart-large-cnn: vocab_size 50264 beside 50265 entries).
  tokenizer->vocab_size_ = bpe.vocab_size();
  if (const int mask = bpe.IdOf("<mask>"); mask == bpe.vocab_size() - 1) {
    tokenizer->vocab_size_ = mask;
  }

  const std::string config_path = dir + "/tokenizer_config.json";
  if (absl::StatusOr<std::string> text = base::ReadFileToString(config_path);
      text.ok()) {
    ASSIGN_OR_RETURN(const JsonFields fields,
                     JsonFields::Parse(*text, config_path));
    RETURN_IF_ERROR(
        fields.ReadBool("add_prefix_space", &tokenizer->add_prefix_space_));
    RETURN_IF_ERROR(fields.ReadBool("clean_up_tokenization_spaces",
                                    &tokenizer->clean_up_spaces_));
  }
  return tokenizer;
}

absl::StatusOr<std::vector<int>> BartTokenizer::Encode(
    absl::string_view text) const {
  std::vector<int> ids = {bos_id_};
  ASSIGN_OR_RETURN(const std::vector<int> body,
                   add_prefix_space_
                       ? bpe_->Encode(absl::StrCat(" ", text), unk_id_)
                       : bpe_->Encode(text, unk_id_));
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(eos_id_);
  return ids;
}

absl::StatusOr<std::vector<TokenSpan>> BartTokenizer::EncodeSpans(
    absl::string_view text) const {
  // Byte-level BPE loses nothing: token k covers the bytes its
  // predecessors' bytes end at, less the prefix space Encode added.
  ASSIGN_OR_RETURN(const std::vector<int> ids, Encode(text));
  const int shift = add_prefix_space_ ? 1 : 0;
  const int size = static_cast<int>(text.size());
  std::vector<TokenSpan> spans;
  int at = 0;
  for (size_t k = 0; k < ids.size(); ++k) {
    const bool special = k == 0 || k + 1 == ids.size();  // <s>, </s>
    const int length =
        special ? 0
                : static_cast<int>(
                      bpe_->DecodeBytes({ids[k]}, std::vector<bool>()).size());
    const int begin = std::clamp(at - shift, 0, size);
    at += length;
    spans.push_back({begin, std::clamp(at - shift, 0, size)});
  }
  return spans;
}

absl::StatusOr<std::vector<int>> BartTokenizer::EncodeTarget(
    absl::string_view text, TargetPlace place) const {
  // Mid-sentence words carry their leading space ("Ġword"), as every word
  // after the first does in byte-level BPE.
  const bool space = add_prefix_space_ || place == TargetPlace::kWithin;
  ASSIGN_OR_RETURN(const std::vector<int> ids,
                   space ? bpe_->Encode(absl::StrCat(" ", text), unk_id_)
                         : bpe_->Encode(text, unk_id_));
  for (const int id : ids) {
    if (id == unk_id_) {
      return absl::InvalidArgumentError(
          "the model's target vocabulary cannot spell it");
    }
  }
  return ids;
}

std::string BartTokenizer::Decode(absl::Span<const int> ids) const {
  std::string text = base::SanitizeUtf8(bpe_->DecodeBytes(ids, special_));
  if (clean_up_spaces_) text = CleanUpTokenizationSpaces(text);
  return text;
}

}  // namespace glossa::model
