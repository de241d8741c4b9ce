#ifndef GLOSSA_MODEL_KERNELS_DNNL_KERNELS_H_
#define GLOSSA_MODEL_KERNELS_DNNL_KERNELS_H_

// The oneDNN backend's pieces below the Backend interface: packed layers,
// the kernel cache and the process's CPU engine. Included only by
// backend_dnnl.cc; with it, the only files that see dnnl.hpp.
#include <omp.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "model/kernels/backend.h"
#include "model/kernels/compute_type.h"
#include "model/kernels/quantize.h"
#include "model/kernels/row_chunks.h"

namespace glossa::model::dnnl_kernels {

using dnnl::memory;
using Tag = dnnl::memory::format_tag;
using DataType = dnnl::memory::data_type;

// Row count the packed weight layout is chosen for; the same layout then
// serves every row count (checked at pack time for 1 row as well).
constexpr int64_t kLayoutRows = 32;

inline dnnl::algorithm EltwiseFor(Activation activation) {
  switch (activation) {
    case Activation::kRelu:
      return dnnl::algorithm::eltwise_relu;
    case Activation::kSwish:
      return dnnl::algorithm::eltwise_swish;
    case Activation::kGelu:
      return dnnl::algorithm::eltwise_gelu_erf;
    case Activation::kGeluNew:
      return dnnl::algorithm::eltwise_gelu_tanh;
  }
  return dnnl::algorithm::eltwise_relu;
}

// One CPU engine for the process: every backend, primitive and per-thread
// stream refers to it, so a stream can never outlive the engine it was made
// for (backends come and go; the engine does not).
inline const dnnl::engine& CpuEngine() {
  static const dnnl::engine* engine =
      new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

// Packed weights live in 2 MiB-aligned memory advised to use transparent
// huge pages: a decoder step streams every weight once, and with 4 KiB pages
// the TLB misses of that stream cost measurable bandwidth at small batches.
struct HugePageBuffer {
  explicit HugePageBuffer(size_t bytes) {
    constexpr size_t kHugePage = 2u << 20;
    size_ = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    if (posix_memalign(&data_, kHugePage, size_) != 0) data_ = nullptr;
    if (data_ != nullptr) madvise(data_, size_, MADV_HUGEPAGE);
  }
  ~HugePageBuffer() { std::free(data_); }
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  void* data() const { return data_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// What a matmul primitive is specialised on, besides its row count: layers
// that agree on all of it share primitives.
struct LinearShape {
  int64_t in = 0;
  int64_t out = 0;
  DataType src_type = DataType::f32;
  std::optional<Activation> activation;
  bool has_bias = false;
  // f32, or s32 for int8 products (dequantized by DequantizeProducts).
  DataType dst_type = DataType::f32;

  template <typename H>
  friend H AbslHashValue(H h, const LinearShape& s) {
    return H::combine(std::move(h), s.in, s.out, static_cast<int>(s.src_type),
                      s.activation, s.has_bias, static_cast<int>(s.dst_type));
  }
  friend bool operator==(const LinearShape& a, const LinearShape& b) {
    return a.in == b.in && a.out == b.out && a.src_type == b.src_type &&
           a.activation == b.activation && a.has_bias == b.has_bias &&
           a.dst_type == b.dst_type;
  }
};

class DnnlLinear final : public PackedLinear {
 public:
  DnnlLinear(int in, int out) : PackedLinear(in, out) {}

  LinearShape shape;
  std::unique_ptr<HugePageBuffer> weights_buffer;
  memory::desc weights_desc;
  memory weights;
  memory bias;  // empty when the layer has no bias
  dnnl::primitive_attr attr;
  // int8 only: the quantized weights' scales and sums (the values are
  // released once packed), and the bias that DequantizeProducts applies.
  QuantizedWeights int8_weights;
  std::vector<float> int8_bias;
};

// What a primitive is made from, besides its row count.
struct KernelSpec {
  memory::desc weights_desc;
  memory::desc bias_desc;  // zero desc when the layer has no bias
  dnnl::primitive_attr attr;
};

// The primitives of one backend, by layer shape and row count. Only the row
// counts of AllRowChunkSizes() are ever asked for, so the cache is bounded
// by (layer shapes) x (chunk sizes).
class KernelCache {
 public:
  // Records what a layer of `shape` is made from (the first layer of a shape
  // wins: the same shape always packs to the same layout).
  void Register(const LinearShape& shape, KernelSpec spec) {
    absl::MutexLock lock(&mu_);
    specs_.try_emplace(shape, std::move(spec));
  }

  // The primitive for `rows` rows of a registered shape, made on first use
  // for the calling thread's OpenMP thread count: oneDNN fixes a matmul's
  // thread count when the primitive is made, and a server running several
  // models gives each a share of the cores that changes with the load.
  absl::StatusOr<dnnl::matmul> Get(const dnnl::engine& engine,
                                   const LinearShape& shape, int64_t rows) {
    absl::MutexLock lock(&mu_);
    return GetLocked(engine, shape, rows);
  }

  // Makes every primitive the registered shapes can need.
  absl::Status MakeAll(const dnnl::engine& engine) {
    absl::MutexLock lock(&mu_);
    std::vector<LinearShape> shapes;
    for (const auto& [shape, spec] : specs_) shapes.push_back(shape);
    for (const LinearShape& shape : shapes) {
      for (const int64_t rows : AllRowChunkSizes()) {
        RETURN_IF_ERROR(GetLocked(engine, shape, rows).status());
      }
    }
    return absl::OkStatus();
  }

  // Primitives for which oneDNN chose one of its reference kernels (plain
  // loops, a slow fallback when no optimized kernel takes the shape).
  size_t reference_count() const {
    absl::MutexLock lock(&mu_);
    size_t count = 0;
    for (const auto& [key, primitive] : primitives_) {
      const char* impl =
          primitive.get_primitive_desc() == nullptr
              ? ""
              : dnnl::primitive_desc_base(const_cast<dnnl_primitive_desc_t>(
                                              primitive.get_primitive_desc()),
                                          true)
                    .impl_info_str();
      if (std::strncmp(impl, "ref", 3) == 0) ++count;
    }
    return count;
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return primitives_.size();
  }

 private:
  using Key = std::tuple<LinearShape, int64_t, int>;  // shape, rows, threads

  absl::StatusOr<dnnl::matmul> GetLocked(const dnnl::engine& engine,
                                         const LinearShape& shape, int64_t rows)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const Key key{shape, rows, omp_get_max_threads()};
    auto it = primitives_.find(key);
    if (it != primitives_.end()) return it->second;
    const auto spec = specs_.find(shape);
    if (spec == specs_.end()) {
      return absl::InternalError("matmul for a layer shape never packed");
    }
    try {
      const memory::desc src({rows, shape.in}, shape.src_type, Tag::ab);
      const memory::desc dst({rows, shape.out}, shape.dst_type, Tag::ab);
      const dnnl::matmul::primitive_desc pd(
          dnnl::matmul::desc(src, spec->second.weights_desc,
                             spec->second.bias_desc, dst),
          spec->second.attr, engine);
      dnnl::matmul primitive(pd);
      primitives_.emplace(key, primitive);
      return primitive;
    } catch (const dnnl::error& e) {
      return absl::InternalError(absl::StrCat("oneDNN matmul for ", rows, "x",
                                              shape.in, "x", shape.out,
                                              " failed: ", e.what()));
    }
  }

  mutable absl::Mutex mu_;
  absl::flat_hash_map<LinearShape, KernelSpec> specs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, dnnl::matmul> primitives_ ABSL_GUARDED_BY(mu_);
};

// The instruction set oneDNN dispatches to, as ONEDNN_MAX_CPU_ISA spells
// it: it decides which kernels int8 and bfloat16 get.
inline const char* IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "other";
  }
}

}  // namespace glossa::model::dnnl_kernels

#endif  // GLOSSA_MODEL_KERNELS_DNNL_KERNELS_H_
