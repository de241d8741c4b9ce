#include "model/transformer/decoder_state.h"

#include <algorithm>
#include <cstring>

#include "model/kernels/ops.h"

namespace glossa::model {

void DecoderCache::Reserve(int positions, int layers, int width) {
  if (positions <= capacity) return;
  if (length == 0) {  // nothing to keep
    capacity = KeyStride(std::max(positions, 8));
    keys.assign(static_cast<size_t>(layers) * width * capacity, 0.0f);
    values.assign(static_cast<size_t>(layers) * capacity * width, 0.0f);
    return;
  }
  const int new_capacity = KeyStride(std::max({positions, 2 * capacity, 8}));
  std::vector<float> new_keys(static_cast<size_t>(layers) * width *
                              new_capacity);
  std::vector<float> new_values(static_cast<size_t>(layers) * new_capacity *
                                width);
  for (int l = 0; l < layers; ++l) {
    for (int j = 0; j < width; ++j) {
      const size_t row = static_cast<size_t>(l) * width + j;
      std::memcpy(&new_keys[row * new_capacity], &keys[row * capacity],
                  sizeof(float) * length);
    }
    std::memcpy(&new_values[static_cast<size_t>(l) * new_capacity * width],
                &values[static_cast<size_t>(l) * capacity * width],
                sizeof(float) * length * width);
  }
  keys = std::move(new_keys);
  values = std::move(new_values);
  capacity = new_capacity;
}

void DecoderCache::CopyFrom(const DecoderCache& other, int layers, int width) {
  if (capacity != other.capacity) {
    keys.resize(other.keys.size());
    values.resize(other.values.size());
    capacity = other.capacity;
  }
  length = other.length;
  for (int l = 0; l < layers; ++l) {
    for (int j = 0; j < width; ++j) {
      const size_t row = (static_cast<size_t>(l) * width + j) * capacity;
      std::memcpy(&keys[row], &other.keys[row], sizeof(float) * length);
    }
    const size_t block = static_cast<size_t>(l) * capacity * width;
    std::memcpy(&values[block], &other.values[block],
                sizeof(float) * length * width);
  }
}

}  // namespace glossa::model
