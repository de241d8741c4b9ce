#include "model/tokenizer/sentencepiece.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "model/tokenizer/spm_shim.h"

namespace glossa::model {

namespace {

constexpr char kShimName[] = "libglossa_spm_shim.so";

// RTLD_DEEPBIND keeps the shim's protobuf 3.14 symbols to itself. Sanitizer
// runtimes refuse DEEPBIND libraries; sanitizer builds only run the engine
// tests, whose processes hold no second protobuf.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GLOSSA_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    defined(GLOSSA_SANITIZED)
constexpr int kShimDlopenFlags = RTLD_NOW | RTLD_LOCAL;
#else
constexpr int kShimDlopenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif

}  // namespace

struct SentencePieceModel::ShimLibrary {
  GlossaSpmLoadFn load = nullptr;
  GlossaSpmFreeFn free_processor = nullptr;
  GlossaSpmEncodeFn encode = nullptr;
  GlossaSpmEncodeSpansFn encode_spans = nullptr;
  GlossaSpmDecodeFn decode = nullptr;
  GlossaSpmPiecesFn pieces = nullptr;
  GlossaSpmFreeBufferFn free_buffer = nullptr;
};

namespace {

using ShimLibrary = SentencePieceModel::ShimLibrary;

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
    shim->encode_spans = reinterpret_cast<GlossaSpmEncodeSpansFn>(
        ::dlsym(handle, "glossa_spm_encode_spans"));
    shim->decode = reinterpret_cast<GlossaSpmDecodeFn>(
        ::dlsym(handle, "glossa_spm_decode"));
    shim->pieces = reinterpret_cast<GlossaSpmPiecesFn>(
        ::dlsym(handle, "glossa_spm_pieces"));
    shim->free_buffer = reinterpret_cast<GlossaSpmFreeBufferFn>(
        ::dlsym(handle, "glossa_spm_free_buffer"));
    if (!shim->load || !shim->free_processor || !shim->encode ||
        !shim->encode_spans || !shim->decode || !shim->pieces ||
        !shim->free_buffer) {
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

}  // namespace

absl::StatusOr<std::unique_ptr<SentencePieceModel>> SentencePieceModel::Load(
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
  return std::unique_ptr<SentencePieceModel>(
      new SentencePieceModel(library, processor));
}

SentencePieceModel::~SentencePieceModel() {
  library_->free_processor(processor_);
}

std::vector<std::string> SentencePieceModel::TakePieces(char* buffer,
                                                        int count) const {
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

absl::StatusOr<std::vector<std::string>> SentencePieceModel::EncodeWithSpans(
    absl::string_view text, std::vector<TokenSpan>* spans) const {
  char* buffer = nullptr;
  size_t size = 0;
  unsigned* offsets = nullptr;
  const int count = library_->encode_spans(processor_, text.data(), text.size(),
                                           &buffer, &size, &offsets);
  if (count < 0) {
    return absl::InternalError("SentencePiece could not encode the text");
  }
  spans->clear();
  for (int i = 0; i < count; ++i) {
    spans->push_back({static_cast<int>(offsets[2 * i]),
                      static_cast<int>(offsets[2 * i + 1])});
  }
  std::free(offsets);
  return TakePieces(buffer, count);
}

absl::StatusOr<std::vector<std::string>> SentencePieceModel::Pieces() const {
  char* buffer = nullptr;
  size_t size = 0;
  const int count = library_->pieces(processor_, &buffer, &size);
  if (count < 0) return absl::InternalError("SentencePiece pieces failed");
  return TakePieces(buffer, count);
}

absl::StatusOr<std::vector<std::string>> SentencePieceModel::Encode(
    absl::string_view text) const {
  char* buffer = nullptr;
  size_t size = 0;
  const int count =
      library_->encode(processor_, text.data(), text.size(), &buffer, &size);
  if (count < 0) return absl::InternalError("SentencePiece encode failed");
  return TakePieces(buffer, count);
}

std::string SentencePieceModel::Decode(
    const std::vector<const std::string*>& pieces) const {
  std::string joined;
  for (const std::string* piece : pieces) {
    joined += *piece;
    joined.push_back('\0');
  }
  char* buffer = nullptr;
  size_t size = 0;
  if (library_->decode(processor_, joined.data(), joined.size(),
                       static_cast<int>(pieces.size()), &buffer, &size) != 0) {
    return "";
  }
  std::string text(buffer, size);
  library_->free_buffer(buffer);
  return text;
}

}  // namespace glossa::model
