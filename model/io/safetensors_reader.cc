#include "model/io/safetensors_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/kernels/number_format.h"

namespace glossa::model {
namespace {

using nlohmann::json;

// Headers beyond this are not model files (the format caps them at 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

absl::Status Corrupt(const std::string& path, const std::string& reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("corrupt safetensors file ", path, ": ", reason));
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

}  // namespace

absl::StatusOr<std::unique_ptr<SafetensorsReader>> SafetensorsReader::Open(
    const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(
        absl::StrCat("cannot stat ", path, ": ", std::strerror(err)));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    return Corrupt(path, absl::StrCat("file is ", size,
                                      " bytes, shorter than the 8-byte "
                                      "header length"));
  }
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) {
    return absl::InternalError(
        absl::StrCat("cannot mmap ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<SafetensorsReader> reader(new SafetensorsReader());
  reader->path_ = path;
  reader->mapping_ = mapping;
  reader->mapping_size_ = size;

  const auto* bytes = static_cast<const uint8_t*>(mapping);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > kMaxHeaderBytes || header_len > size - 8) {
    return Corrupt(path, absl::StrCat("header length ", header_len,
                                      " exceeds the file size ", size));
  }
  const char* header = reinterpret_cast<const char*>(bytes + 8);
  json root = json::parse(header, header + header_len, nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return Corrupt(path, "header is not a JSON object");
  }
  const uint8_t* data_start = bytes + 8 + header_len;
  const size_t data_size = size - 8 - header_len;
  std::vector<std::pair<size_t, size_t>> ranges;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const json& entry = it.value();
    if (!entry.is_object() || !entry.contains("dtype") ||
        !entry.contains("shape") || !entry.contains("data_offsets")) {
      return Corrupt(path, absl::StrCat("tensor '", it.key(),
                                        "' lacks dtype, shape or "
                                        "data_offsets"));
    }
    TensorRecord record;
    size_t element_size = 0;
    const std::string dtype =
        entry["dtype"].is_string() ? entry["dtype"].get<std::string>() : "";
    if (dtype == "F32") {
      record.type = StoredType::kF32;
      element_size = 4;
    } else if (dtype == "F16") {
      record.type = StoredType::kF16;
      element_size = 2;
    } else if (dtype == "BF16") {
      record.type = StoredType::kBF16;
      element_size = 2;
    } else {
      return Corrupt(path, absl::StrCat("tensor '", it.key(), "' has dtype '",
                                        dtype, "'; supported: F32, F16, BF16"));
    }
    const json& shape = entry["shape"];
    const json& offsets = entry["data_offsets"];
    if (!shape.is_array() || !offsets.is_array() || offsets.size() != 2 ||
        !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      return Corrupt(path, absl::StrCat("tensor '", it.key(),
                                        "' has a malformed shape or "
                                        "data_offsets"));
    }
    uint64_t elements = 1;
    for (const json& dim : shape) {
      if (!dim.is_number_unsigned() || dim.get<uint64_t>() > (1ull << 32)) {
        return Corrupt(
            path, absl::StrCat("tensor '", it.key(), "' has a bad dimension ",
                               dim.dump()));
      }
      record.shape.push_back(dim.get<int64_t>());
      elements *= dim.get<uint64_t>();
    }
    const uint64_t begin = offsets[0].get<uint64_t>();
    const uint64_t end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      return Corrupt(
          path, absl::StrCat("tensor '", it.key(), "' spans bytes [", begin,
                             ", ", end, ") but the data section has ",
                             data_size, " bytes (truncated?)"));
    }
    if (end - begin != elements * element_size) {
      return Corrupt(path,
                     absl::StrCat("tensor '", it.key(), "' of shape ",
                                  ShapeString(record.shape), " and ", dtype,
                                  " needs ", elements * element_size,
                                  " bytes, its offsets give ", end - begin));
    }
    record.data = data_start + begin;
    record.num_bytes = end - begin;
    ranges.emplace_back(begin, end);
    reader->tensors_.emplace(it.key(), std::move(record));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      return Corrupt(path, "two tensors' data ranges overlap");
    }
  }
  return reader;
}

SafetensorsReader::~SafetensorsReader() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
}

const TensorRecord* SafetensorsReader::Find(absl::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::vector<float>> SafetensorsReader::ReadFloat(
    absl::string_view name, const std::vector<int64_t>& expected_shape) const {
  const TensorRecord* record = Find(name);
  if (record == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("tensor '", name, "' is missing from ", path_));
  }
  if (record->shape != expected_shape) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "' in ", path_, " has shape ",
                     ShapeString(record->shape), ", the config implies ",
                     ShapeString(expected_shape)));
  }
  size_t elements = 1;
  for (int64_t dim : expected_shape) elements *= dim;
  std::vector<float> out(elements);
  switch (record->type) {
    case StoredType::kF32:
      std::memcpy(out.data(), record->data, elements * 4);
      break;
    case StoredType::kF16:
    case StoredType::kBF16: {
      const bool half = record->type == StoredType::kF16;
      for (size_t i = 0; i < elements; ++i) {
        uint16_t bits;
        std::memcpy(&bits, record->data + 2 * i, 2);
        out[i] = half ? HalfToFloat(bits) : BFloat16ToFloat(bits);
      }
      break;
    }
  }
  // Random bytes over the data region parse as weights; NaN or infinity in
  // them would make every translation garbage with NaN scores, so the file
  // is refused here, naming the tensor.
  for (size_t i = 0; i < elements; ++i) {
    if (!std::isfinite(out[i])) {
      return Corrupt(
          path_, absl::StrCat("tensor '", name, "' holds ", out[i],
                              " at element ", i, " (weights must be finite)"));
    }
  }
  return out;
}

std::vector<std::string> SafetensorsReader::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, record] : tensors_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

TensorSource SafetensorsReader::AsTensorSource() const {
  return [this](const std::string& name, const std::vector<int64_t>& shape)
             -> absl::StatusOr<std::vector<float>> {
    if (Contains(name)) return ReadFloat(name, shape);
    if (name.rfind("model.", 0) == 0 && Contains(name.substr(6))) {
      return ReadFloat(name.substr(6), shape);
    }
    return absl::NotFoundError(
        absl::StrCat("tensor '", name, "' is missing from ", path_));
  };
}

}  // namespace glossa::model
