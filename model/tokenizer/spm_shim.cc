// Built into libglossa_spm_shim.so. Includes no absl or gRPC headers:
// sentencepiece_processor.h defines its own absl::string_view.
#include "model/tokenizer/spm_shim.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

char* CopyToBuffer(const std::string& data, size_t* size) {
  char* buffer = static_cast<char*>(std::malloc(data.size() + 1));
  if (buffer == nullptr) return nullptr;
  std::memcpy(buffer, data.data(), data.size());
  buffer[data.size()] = '\0';
  *size = data.size();
  return buffer;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* glossa_spm_load(
    const char* path, char* error, size_t error_size) {
  auto* processor = new sentencepiece::SentencePieceProcessor();
  const auto status = processor->Load(path);
  if (!status.ok()) {
    std::snprintf(error, error_size, "%s", status.ToString().c_str());
    delete processor;
    return nullptr;
  }
  return processor;
}

__attribute__((visibility("default"))) void glossa_spm_free(void* processor) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(processor);
}

__attribute__((visibility("default"))) int glossa_spm_encode(void* processor,
                                                             const char* text,
                                                             size_t text_size,
                                                             char** out,
                                                             size_t* out_size) {
  std::vector<std::string> pieces;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(processor)->Encode(
          std::string(text, text_size), &pieces);
  if (!status.ok()) return -1;
  std::string joined;
  for (const std::string& piece : pieces) {
    joined += piece;
    joined.push_back('\0');
  }
  *out = CopyToBuffer(joined, out_size);
  return *out == nullptr ? -1 : static_cast<int>(pieces.size());
}

__attribute__((visibility("default"))) int glossa_spm_encode_spans(
    void* processor, const char* text, size_t text_size, char** out,
    size_t* out_size, unsigned** spans) {
  const sentencepiece::ImmutableSentencePieceText encoded =
      static_cast<sentencepiece::SentencePieceProcessor*>(processor)
          ->EncodeAsImmutableProto(std::string(text, text_size));
  const size_t count = encoded.pieces_size();
  std::string joined;
  *spans =
      static_cast<unsigned*>(std::malloc(2 * count * sizeof(unsigned) + 1));
  if (*spans == nullptr) return -1;
  for (size_t i = 0; i < count; ++i) {
    const auto piece = encoded.pieces(static_cast<int>(i));
    joined += piece.piece();
    joined.push_back('\0');
    (*spans)[2 * i] = piece.begin();
    (*spans)[2 * i + 1] = piece.end();
  }
  *out = CopyToBuffer(joined, out_size);
  if (*out == nullptr) {
    std::free(*spans);
    return -1;
  }
  return static_cast<int>(count);
}

__attribute__((visibility("default"))) int glossa_spm_decode(
    void* processor, const char* pieces, size_t pieces_size, int count,
    char** out, size_t* out_size) {
  std::vector<std::string> split;
  split.reserve(count);
  size_t start = 0;
  for (int i = 0; i < count && start <= pieces_size; ++i) {
    const size_t length = std::strlen(pieces + start);
    split.emplace_back(pieces + start, length);
    start += length + 1;
  }
  std::string text;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(processor)->Decode(
          split, &text);
  if (!status.ok()) return -1;
  *out = CopyToBuffer(text, out_size);
  return *out == nullptr ? -1 : 0;
}

__attribute__((visibility("default"))) int glossa_spm_pieces(void* processor,
                                                             char** out,
                                                             size_t* out_size) {
  const auto* model =
      static_cast<sentencepiece::SentencePieceProcessor*>(processor);
  std::string joined;
  const int count = model->GetPieceSize();
  for (int id = 0; id < count; ++id) {
    joined += model->IdToPiece(id);
    joined.push_back('\0');
  }
  *out = CopyToBuffer(joined, out_size);
  return *out == nullptr ? -1 : count;
}

__attribute__((visibility("default"))) void glossa_spm_free_buffer(
    char* buffer) {
  std::free(buffer);
}

}  // extern "C"
