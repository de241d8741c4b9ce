#include "model/tokenizer/byte_level_bpe.h"

#include <unicode/utext.h>

#include <queue>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "model/tokenizer/vocab_json.h"

namespace glossa::model {
namespace {

// GPT-2's pre-tokenization pattern (encoder.py), with \s spelled as the
// White_Space property so that ICU and the reference agree on it.
constexpr char kPattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+"
    "| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

// UTF-8 of one code point below U+0800 (every bytes_to_unicode symbol is).
std::string Utf8Of(int code_point) {
  std::string out;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
  return out;
}

// Code points of a string of bytes_to_unicode symbols (one or two bytes
// each), or -1 for anything else.
int NextSymbol(absl::string_view text, size_t* pos) {
  const auto b0 = static_cast<unsigned char>(text[*pos]);
  if (b0 < 0x80) {
    *pos += 1;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0 && *pos + 1 < text.size()) {
    const auto b1 = static_cast<unsigned char>(text[*pos + 1]);
    *pos += 2;
    return ((b0 & 0x1F) << 6) | (b1 & 0x3F);
  }
  *pos += 1;
  return -1;
}

}  // namespace

ByteLevelBpe::~ByteLevelBpe() = default;

absl::StatusOr<std::unique_ptr<ByteLevelBpe>> ByteLevelBpe::Load(
    const std::string& vocab_path, const std::string& merges_path) {
  std::unique_ptr<ByteLevelBpe> bpe(new ByteLevelBpe());
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  bpe->pattern_.reset(icu::RegexPattern::compile(
      icu::UnicodeString::fromUTF8(kPattern), parse_error, status));
  if (U_FAILURE(status)) {
    return absl::InternalError(absl::StrCat(
        "the byte-level BPE pattern does not compile: ", u_errorName(status)));
  }
  // bytes_to_unicode: ! .. ~, ¡ .. ¬ and ® .. ÿ stand for themselves; the
  // other 68 bytes take U+0100, U+0101, ... in byte order.
  int next = 256;
  bpe->symbol_byte_.assign(256 + 68, -1);
  for (int b = 0; b < 256; ++b) {
    const bool printable =
        (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    const int symbol = printable ? b : next++;
    bpe->byte_symbol_[b] = Utf8Of(symbol);
    bpe->symbol_byte_[symbol] = b;
  }

  ASSIGN_OR_RETURN(VocabJson vocab, ReadVocabJson(vocab_path));
  bpe->piece_to_id_ = std::move(vocab.piece_to_id);
  bpe->id_to_piece_ = std::move(vocab.id_to_piece);

  ASSIGN_OR_RETURN(const std::string merges,
                   base::ReadFileToString(merges_path));
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(merges, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (line.empty() || (line_number == 1 && absl::StartsWith(line, "#"))) {
      continue;
    }
    const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          merges_path, ": line ", line_number,
          " is not a merge of two symbols separated by one space"));
    }
    // A repeated pair keeps its first (lowest) rank, as the reference's
    // dict(zip(merges, range(...))) keeps its last: neither happens in a
    // file that tokenizers wrote.
    bpe->merge_rank_.emplace(line, static_cast<int>(bpe->merge_rank_.size()));
  }
  if (bpe->merge_rank_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(merges_path, ": holds no merges"));
  }
  return bpe;
}

int ByteLevelBpe::IdOf(absl::string_view piece) const {
  const auto it = piece_to_id_.find(piece);
  return it == piece_to_id_.end() ? -1 : it->second;
}

absl::StatusOr<std::vector<std::string>> ByteLevelBpe::SplitWords(
    absl::string_view text) const {
  std::vector<std::string> words;
  UErrorCode status = U_ZERO_ERROR;
  UText* utext = utext_openUTF8(nullptr, text.data(),
                                static_cast<int64_t>(text.size()), &status);
  std::unique_ptr<icu::RegexMatcher> matcher(pattern_->matcher(status));
  size_t covered = 0;
  if (U_SUCCESS(status)) {
    matcher->reset(utext);
    while (matcher->find(status) && U_SUCCESS(status)) {
      // Native indices of a UTF-8 UText are byte offsets.
      const int64_t start = matcher->start64(status);
      const int64_t end = matcher->end64(status);
      words.emplace_back(text.substr(start, end - start));
      covered += end - start;
    }
  }
  matcher.reset();
  utext_close(utext);
  // Every character is a letter, a digit, white space or other, so the
  // words cover the text; anything else would silently drop input.
  if (U_FAILURE(status) || covered != text.size()) {
    return absl::InternalError(absl::StrCat(
        "the byte-level BPE pre-tokenizer failed on this text (",
        U_FAILURE(status) ? u_errorName(status) : "words do not cover it",
        ")"));
  }
  return words;
}

void ByteLevelBpe::MergeWord(absl::string_view word, int unk_id,
                             std::vector<int>* ids) const {
  // One symbol per byte, linked; a heap of candidate merges ordered by
  // rank, then position, which applies GPT-2's "merge every occurrence of
  // the best pair, left to right" in O(n log n) even for a long word.
  struct Symbol {
    std::string text;
    int prev;
    int next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    symbols.push_back({byte_symbol_[static_cast<unsigned char>(word[i])],
                       static_cast<int>(i) - 1,
                       i + 1 < word.size() ? static_cast<int>(i) + 1 : -1});
  }
  using Candidate = std::tuple<int, int, int>;  // rank, left, right
  std::priority_queue<Candidate, std::vector<Candidate>,
                      std::greater<Candidate>>
      heap;
  auto push = [&](int left) {
    if (left < 0 || symbols[left].next < 0) return;
    const int right = symbols[left].next;
    const auto it = merge_rank_.find(
        absl::StrCat(symbols[left].text, " ", symbols[right].text));
    if (it != merge_rank_.end()) heap.emplace(it->second, left, right);
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) push(i);
  std::vector<bool> gone(symbols.size(), false);
  while (!heap.empty()) {
    const auto [rank, left, right] = heap.top();
    heap.pop();
    // Stale when either side has merged since: the pair is no longer
    // (left, right) or no longer spells the ranked merge.
    if (gone[left] || gone[right] || symbols[left].next != right) continue;
    const auto it = merge_rank_.find(
        absl::StrCat(symbols[left].text, " ", symbols[right].text));
    if (it == merge_rank_.end() || it->second != rank) continue;
    symbols[left].text += symbols[right].text;
    symbols[left].next = symbols[right].next;
    if (symbols[right].next >= 0) symbols[symbols[right].next].prev = left;
    gone[right] = true;
    push(symbols[left].prev);
    push(left);
  }
  for (int i = 0; i >= 0 && i < static_cast<int>(symbols.size());
       i = symbols[i].next) {
    const int id = IdOf(symbols[i].text);
    ids->push_back(id >= 0 ? id : unk_id);
  }
}

absl::StatusOr<std::vector<int>> ByteLevelBpe::Encode(absl::string_view text,
                                                      int unk_id) const {
  ASSIGN_OR_RETURN(const std::vector<std::string> words, SplitWords(text));
  std::vector<int> ids;
  for (const std::string& word : words) {
    MergeWord(word, unk_id, &ids);
  }
  return ids;
}

std::string ByteLevelBpe::DecodeBytes(absl::Span<const int> ids,
                                      const std::vector<bool>& skip) const {
  std::string bytes;
  for (const int id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    if (id < static_cast<int>(skip.size()) && skip[id]) continue;
    const std::string& piece = id_to_piece_[id];
    for (size_t pos = 0; pos < piece.size();) {
      const int symbol = NextSymbol(piece, &pos);
      if (symbol >= 0 && symbol < static_cast<int>(symbol_byte_.size()) &&
          symbol_byte_[symbol] >= 0) {
        bytes.push_back(static_cast<char>(symbol_byte_[symbol]));
      }
    }
  }
  return bytes;
}

}  // namespace glossa::model
