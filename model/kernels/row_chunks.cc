#include "model/kernels/row_chunks.h"

namespace glossa::model {

std::vector<int64_t> RowChunks(int64_t rows) {
  std::vector<int64_t> chunks;
  for (const int64_t large : kLargeChunks) {
    while (rows > kExactRows && rows >= large) {
      chunks.push_back(large);
      rows -= large;
    }
  }
  while (rows > kExactRows) {
    chunks.push_back(kExactRows);
    rows -= kExactRows;
  }
  if (rows > 0) chunks.push_back(rows);
  return chunks;
}

std::vector<int64_t> AllRowChunkSizes() {
  std::vector<int64_t> sizes;
  for (int64_t rows = 1; rows <= kExactRows; ++rows) sizes.push_back(rows);
  for (auto it = std::rbegin(kLargeChunks); it != std::rend(kLargeChunks);
       ++it) {
    sizes.push_back(*it);
  }
  return sizes;
}

}  // namespace glossa::model
