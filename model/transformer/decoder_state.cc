#include "model/transformer/decoder_state.h"

#include <algorithm>
#include <cstring>

#include "model/kernels/ops.h"

namespace glossa::model {

void DecoderCache::Reserve(int positions, int layers, int d_model) {
  if (positions <= capacity) return;
  if (length == 0) {  // nothing to keep
    capacity = KeyStride(std::max(positions, 8));
    keys.assign(static_cast<size_t>(layers) * d_model * capacity, 0.0f);
    values.assign(static_cast<size_t>(layers) * capacity * d_model, 0.0f);
    return;
  }
  const int new_capacity = KeyStride(std::max({positions, 2 * capacity, 8}));
  std::vector<float> new_keys(static_cast<size_t>(layers) * d_model *
                              new_capacity);
  std::vector<float> new_values(static_cast<size_t>(layers) * new_capacity *
                                d_model);
  for (int l = 0; l < layers; ++l) {
    for (int j = 0; j < d_model; ++j) {
      const size_t row = static_cast<size_t>(l) * d_model + j;
      std::memcpy(&new_keys[row * new_capacity], &keys[row * capacity],
                  sizeof(float) * length);
    }
    std::memcpy(&new_values[static_cast<size_t>(l) * new_capacity * d_model],
                &values[static_cast<size_t>(l) * capacity * d_model],
                sizeof(float) * length * d_model);
  }
  keys = std::move(new_keys);
  values = std::move(new_values);
  capacity = new_capacity;
}

void DecoderCache::CopyFrom(const DecoderCache& other, int layers,
                            int d_model) {
  if (capacity != other.capacity) {
    keys.resize(other.keys.size());
    values.resize(other.values.size());
    capacity = other.capacity;
  }
  length = other.length;
  for (int l = 0; l < layers; ++l) {
    for (int j = 0; j < d_model; ++j) {
      const size_t row = (static_cast<size_t>(l) * d_model + j) * capacity;
      std::memcpy(&keys[row], &other.keys[row], sizeof(float) * length);
    }
    const size_t block = static_cast<size_t>(l) * capacity * d_model;
    std::memcpy(&values[block], &other.values[block],
                sizeof(float) * length * d_model);
  }
}

}  // namespace glossa::model
