#ifndef GLOSSA_MODEL_KERNELS_ROW_CHUNKS_H_
#define GLOSSA_MODEL_KERNELS_ROW_CHUNKS_H_

#include <cstdint>
#include <vector>

// The row counts a matmul kernel is compiled for. oneDNN specialises a
// primitive on every dimension, so a kernel per distinct row count would grow
// without bound as batch sizes and sentence lengths vary (hundreds of JIT
// kernels per layer shape, tens of megabytes, each one compiled on the first
// request that needs it). Instead a multiplication of any row count runs as
// a few chunks whose sizes come from a small fixed set: every count up to
// kExactRows (decoder steps, where weights dominate and one pass over them
// matters), and kLargeChunks above it (encoder and large batches, where the
// arithmetic dominates and a split costs nothing measurable).
namespace glossa::model {

inline constexpr int64_t kExactRows = 64;
inline constexpr int64_t kLargeChunks[] = {256, 128};

// Chunk sizes, largest first, that add up to `rows` (> 0): as many of the
// largest large chunk as fit, then the next, and a last chunk of at most
// kExactRows rows.
std::vector<int64_t> RowChunks(int64_t rows);

// Every chunk size RowChunks can return, ascending.
std::vector<int64_t> AllRowChunkSizes();

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_KERNELS_ROW_CHUNKS_H_
