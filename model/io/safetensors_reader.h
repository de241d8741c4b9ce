#ifndef GLOSSA_MODEL_SAFETENSORS_READER_H_
#define GLOSSA_MODEL_SAFETENSORS_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/io/tensor_source.h"

namespace glossa::model {

enum class StoredType { kF32, kF16, kBF16 };

struct TensorRecord {
  StoredType type = StoredType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // into the mapping
  size_t num_bytes = 0;
};

// A model.safetensors file mapped read-only. The header is validated in
// full at Open(): JSON syntax, known dtypes, shapes whose byte size matches
// the offsets, offsets inside the file and not overlapping.
class SafetensorsReader {
 public:
  static absl::StatusOr<std::unique_ptr<SafetensorsReader>> Open(
      const std::string& path);
  ~SafetensorsReader();
  SafetensorsReader(const SafetensorsReader&) = delete;
  SafetensorsReader& operator=(const SafetensorsReader&) = delete;

  // nullptr when absent.
  const TensorRecord* Find(absl::string_view name) const;
  // Upcasts to float32 and checks the shape and that every value is
  // finite. Errors name the tensor and the file.
  absl::StatusOr<std::vector<float>> ReadFloat(
      absl::string_view name, const std::vector<int64_t>& expected_shape) const;
  bool Contains(absl::string_view name) const { return Find(name) != nullptr; }
  // Every tensor's name, sorted.
  std::vector<std::string> Names() const;
  const std::string& path() const { return path_; }

  // The tensors as a TensorSource; names are also found without their
  // "model." prefix (older exports). The reader must outlive it.
  TensorSource AsTensorSource() const;

 private:
  SafetensorsReader() = default;
  std::string path_;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  absl::flat_hash_map<std::string, TensorRecord> tensors_;
};

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_SAFETENSORS_READER_H_
