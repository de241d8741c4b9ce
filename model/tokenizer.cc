#include "model/tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "model/file_util.h"
#include "model/spm_shim.h"
#include "model/status_macros.h"

namespace glossa::model {

namespace {

constexpr char kShimName[] = "libglossa_spm_shim.so";

// RTLD_DEEPBIND keeps the shim's protobuf 3.14 symbols to itself. Sanitizer
// runtimes refuse DEEPBIND libraries; sanitizer builds only run the engine
// tests, whose processes hold no second protobuf.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kShimDlopenFlags = RTLD_NOW | RTLD_LOCAL;
#else
constexpr int kShimDlopenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif

struct ShimLibrary {
  GlossaSpmLoadFn load = nullptr;
  GlossaSpmFreeFn free_processor = nullptr;
  GlossaSpmEncodeFn encode = nullptr;
  GlossaSpmDecodeFn decode = nullptr;
  GlossaSpmFreeBufferFn free_buffer = nullptr;
};

std::string ExecutableDir() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  std::string exe(path, n);
  return exe.substr(0, exe.rfind('/'));
}

// Looks for the shim in $GLOSSA_SPM_SHIM, next to the executable, then in
// ../lib and the loader's search path. Loaded once per process.
absl::StatusOr<const ShimLibrary*> LoadShim() {
  static absl::Mutex mu(absl::kConstInit);
  static ShimLibrary* library ABSL_GUARDED_BY(mu) = nullptr;
  absl::MutexLock lock(&mu);
  if (library != nullptr) return library;
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("GLOSSA_SPM_SHIM"))
    candidates.push_back(env);
  const std::string dir = ExecutableDir();
  candidates.push_back(dir + "/" + kShimName);
  candidates.push_back(dir + "/../lib/" + kShimName);
  candidates.push_back(kShimName);
  std::string errors;
  for (const std::string& candidate : candidates) {
    void* handle = ::dlopen(candidate.c_str(), kShimDlopenFlags);
    if (handle == nullptr) {
      absl::StrAppend(&errors, "\n  ", ::dlerror());
      continue;
    }
    auto shim = std::make_unique<ShimLibrary>();
    shim->load =
        reinterpret_cast<GlossaSpmLoadFn>(::dlsym(handle, "glossa_spm_load"));
    shim->free_processor =
        reinterpret_cast<GlossaSpmFreeFn>(::dlsym(handle, "glossa_spm_free"));
    shim->encode = reinterpret_cast<GlossaSpmEncodeFn>(
        ::dlsym(handle, "glossa_spm_encode"));
    shim->decode = reinterpret_cast<GlossaSpmDecodeFn>(
        ::dlsym(handle, "glossa_spm_decode"));
    shim->free_buffer = reinterpret_cast<GlossaSpmFreeBufferFn>(
        ::dlsym(handle, "glossa_spm_free_buffer"));
    if (!shim->load || !shim->free_processor || !shim->encode ||
        !shim->decode || !shim->free_buffer) {
      return absl::InternalError(
          absl::StrCat(candidate, " lacks the glossa_spm_* symbols"));
    }
    library = shim.release();  // lives as long as the process
    return library;
  }
  return absl::InternalError(
      absl::StrCat("cannot load the SentencePiece shim ", kShimName,
                   " (set GLOSSA_SPM_SHIM to its path):", errors));
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = text[i];
    int extra;
    uint32_t min_value;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      min_value = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      min_value = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      min_value = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    uint32_t code = c & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
      const unsigned char next = text[i + k];
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min_value || code > 0x10ffff ||
        (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

// One loaded SentencePiece model behind the shim.
class SentencePieceShim {
 public:
  static absl::StatusOr<std::unique_ptr<SentencePieceShim>> Load(
      const std::string& path) {
    ASSIGN_OR_RETURN(const ShimLibrary* library, LoadShim());
    if (::access(path.c_str(), R_OK) != 0) {
      return absl::NotFoundError(absl::StrCat("cannot read ", path));
    }
    char error[512] = {0};
    void* processor = library->load(path.c_str(), error, sizeof(error));
    if (processor == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load SentencePiece model ", path, ": ", error));
    }
    return std::unique_ptr<SentencePieceShim>(
        new SentencePieceShim(library, processor));
  }
  ~SentencePieceShim() { library_->free_processor(processor_); }

  absl::StatusOr<std::vector<std::string>> Encode(
      absl::string_view text) const {
    char* buffer = nullptr;
    size_t size = 0;
    const int count =
        library_->encode(processor_, text.data(), text.size(), &buffer, &size);
    if (count < 0) return absl::InternalError("SentencePiece encode failed");
    std::vector<std::string> pieces;
    pieces.reserve(count);
    size_t start = 0;
    for (int i = 0; i < count; ++i) {
      pieces.emplace_back(buffer + start);
      start += pieces.back().size() + 1;
    }
    library_->free_buffer(buffer);
    return pieces;
  }

  std::string Decode(const std::vector<const std::string*>& pieces) const {
    std::string joined;
    for (const std::string* piece : pieces) {
      joined += *piece;
      joined.push_back('\0');
    }
    char* buffer = nullptr;
    size_t size = 0;
    if (library_->decode(processor_, joined.data(), joined.size(),
                         static_cast<int>(pieces.size()), &buffer,
                         &size) != 0) {
      return "";
    }
    std::string text(buffer, size);
    library_->free_buffer(buffer);
    return text;
  }

 private:
  SentencePieceShim(const ShimLibrary* library, void* processor)
      : library_(library), processor_(processor) {}
  const ShimLibrary* library_;
  void* processor_;
};

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Load(
    const std::string& dir) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  ASSIGN_OR_RETURN(tokenizer->source_,
                   SentencePieceShim::Load(dir + "/source.spm"));
  ASSIGN_OR_RETURN(tokenizer->target_,
                   SentencePieceShim::Load(dir + "/target.spm"));
  const std::string vocab_path = dir + "/vocab.json";
  ASSIGN_OR_RETURN(std::string vocab_text, ReadFileToString(vocab_path));
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
  return tokenizer;
}

Tokenizer::~Tokenizer() = default;

absl::StatusOr<std::vector<int>> Tokenizer::Encode(
    absl::string_view text) const {
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError("text is not valid UTF-8");
  }
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

std::string Tokenizer::Decode(const std::vector<int>& ids) const {
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
