// The oneDNN backend: with dnnl_kernels.h, the only files that include
// dnnl.hpp.
//
// Weights are reordered once, at load, into the blocked layout oneDNN's
// matmul prefers. Primitives are shared by every layer of one shape and made
// only for the row counts of row_chunks.h, so their number is bounded and
// PrepareKernels can make them all before the first request.
// Against BLAS-style sgemm on plain weights this was measured 3-7x faster at
// 16-64 rows on the target machines.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "model/kernels/backend.h"
#include "model/kernels/dnnl_kernels.h"
#include "model/kernels/number_format.h"
#include "model/kernels/quantize.h"
#include "model/kernels/row_chunks.h"

namespace glossa::model {
namespace {

using dnnl::memory;
using dnnl_kernels::CpuEngine;
using dnnl_kernels::DataType;
using dnnl_kernels::DnnlLinear;
using dnnl_kernels::EltwiseFor;
using dnnl_kernels::HugePageBuffer;
using dnnl_kernels::IsaName;
using dnnl_kernels::KernelCache;
using dnnl_kernels::KernelSpec;
using dnnl_kernels::kLayoutRows;
using dnnl_kernels::LinearShape;
using dnnl_kernels::Tag;

class DnnlBackend final : public Backend {
 public:
  DnnlBackend(ComputeType compute_type, int num_threads)
      : engine_(CpuEngine()),
        compute_type_(compute_type),
        num_threads_(num_threads),
        input_max_(CpuInt8InputMax()) {}

  absl::StatusOr<std::unique_ptr<PackedLinear>> Pack(
      const float* weight, const float* bias, int out_features, int in_features,
      std::optional<Activation> activation) const override {
    if (compute_type_ == ComputeType::kInt8) {
      return PackInt8(weight, bias, out_features, in_features, activation);
    }
    auto layer = std::make_unique<DnnlLinear>(in_features, out_features);
    const DataType weight_type = compute_type_ == ComputeType::kBFloat16
                                     ? DataType::bf16
                                     : DataType::f32;
    layer->shape = LinearShape{in_features, out_features, weight_type,
                               activation, bias != nullptr};
    try {
      if (activation) {
        dnnl::post_ops post_ops;
        post_ops.append_eltwise(
            1.0f, EltwiseFor(*activation),
            /*alpha=*/*activation == Activation::kSwish ? 1.0f : 0.0f,
            /*beta=*/0.0f);
        layer->attr.set_post_ops(post_ops);
      }
      const memory::desc src({kLayoutRows, in_features}, weight_type, Tag::ab);
      const memory::desc any_weights({in_features, out_features}, weight_type,
                                     Tag::any);
      const memory::desc dst({kLayoutRows, out_features}, DataType::f32,
                             Tag::ab);
      memory::desc bias_desc;
      if (bias != nullptr) {
        bias_desc = memory::desc({1, out_features}, DataType::f32, Tag::ab);
      }
      const dnnl::matmul::primitive_desc pd(
          dnnl::matmul::desc(src, any_weights, bias_desc, dst), layer->attr,
          engine_);
      // HF stores W as [out, in]; as a K x N matrix that is layout "ba".
      std::vector<uint16_t> converted;
      memory plain;
      if (weight_type == DataType::bf16) {
        const size_t count = static_cast<size_t>(out_features) * in_features;
        converted.resize(count);
        for (size_t i = 0; i < count; ++i) {
          converted[i] = FloatToBFloat16(weight[i]);
        }
        plain = memory({{in_features, out_features}, DataType::bf16, Tag::ba},
                       engine_, converted.data());
      } else {
        plain = memory({{in_features, out_features}, DataType::f32, Tag::ba},
                       engine_, const_cast<float*>(weight));
      }
      RETURN_IF_ERROR(PackWeights(pd, plain, layer.get()));
      if (bias != nullptr) {
        layer->bias = memory(bias_desc, engine_);
        std::memcpy(layer->bias.get_data_handle(), bias,
                    sizeof(float) * out_features);
      }
      kernels_.Register(layer->shape, KernelSpec{layer->weights_desc, bias_desc,
                                                 layer->attr});
    } catch (const dnnl::error& e) {
      return absl::InternalError(absl::StrCat("oneDNN could not pack a ",
                                              out_features, "x", in_features,
                                              " linear layer: ", e.what()));
    }
    return layer;
  }

  absl::Status Linear(const PackedLinear& packed, const float* x, int rows,
                      float* y) const override {
    if (rows == 0) return absl::OkStatus();
    const auto& layer = static_cast<const DnnlLinear&>(packed);
    ApplyThreads();
    if (layer.shape.src_type == DataType::u8) {
      return LinearInt8(layer, x, rows, y);
    }
    const int64_t in = layer.in_features();
    const void* input = x;
    thread_local std::vector<uint16_t> bf16_input;
    if (layer.shape.src_type == DataType::bf16) {
      const size_t count = static_cast<size_t>(rows) * in;
      if (bf16_input.size() < count) bf16_input.resize(count);
      for (size_t i = 0; i < count; ++i) {
        bf16_input[i] = FloatToBFloat16(x[i]);
      }
      input = bf16_input.data();
    }
    const size_t element_bytes = layer.shape.src_type == DataType::bf16
                                     ? sizeof(uint16_t)
                                     : sizeof(float);
    return RunChunks(layer, input, element_bytes, rows, y, sizeof(float));
  }

  absl::Status PrepareKernels() const override {
    ApplyThreads();  // primitives are made for the thread count in force
    return kernels_.MakeAll(engine_);
  }

  size_t kernel_count() const override { return kernels_.size(); }

  // OpenMP's thread count is per calling thread: set it on each thread
  // that drives the model, once.
  void ApplyThreads() const {
    thread_local int threads_set = 0;
    if (num_threads_ > 0 && threads_set != num_threads_) {
      omp_set_num_threads(num_threads_);
      threads_set = num_threads_;
    }
  }
  size_t reference_kernel_count() const override {
    return kernels_.reference_count();
  }

  // Runs `rows` rows of `layer` as the chunks of row_chunks.h: `input`
  // holds src_type elements of `input_bytes` each, `output` dst_type
  // elements of `output_bytes`.
  absl::Status RunChunks(const DnnlLinear& layer, const void* input,
                         size_t input_bytes, int rows, void* output,
                         size_t output_bytes) const {
    const int64_t in = layer.in_features();
    const int64_t out = layer.out_features();
    // One stream per calling thread, made once, on the process engine.
    thread_local std::unique_ptr<dnnl::stream> stream;
    try {
      if (stream == nullptr) {
        stream = std::make_unique<dnnl::stream>(CpuEngine());
      }
      int64_t first = 0;
      for (const int64_t chunk : RowChunks(rows)) {
        auto primitive = kernels_.Get(engine_, layer.shape, chunk);
        if (!primitive.ok()) return primitive.status();
        const memory src({{chunk, in}, layer.shape.src_type, Tag::ab}, engine_,
                         const_cast<char*>(static_cast<const char*>(input)) +
                             first * in * input_bytes);
        const memory dst(
            {{chunk, out}, layer.shape.dst_type, Tag::ab}, engine_,
            static_cast<char*>(output) + first * out * output_bytes);
        std::unordered_map<int, memory> args = {
            {DNNL_ARG_SRC, src},
            {DNNL_ARG_WEIGHTS, layer.weights},
            {DNNL_ARG_DST, dst}};
        if (layer.bias) args.emplace(DNNL_ARG_BIAS, layer.bias);
        primitive->execute(*stream, args);
        first += chunk;
      }
      stream->wait();
    } catch (const dnnl::error& e) {
      return absl::InternalError(
          absl::StrCat("oneDNN matmul failed: ", e.what()));
    }
    return absl::OkStatus();
  }

  // Allocates `layer`'s weights in the layout `pd` chose and reorders the
  // plain [out, in] weights into them. Throws dnnl::error like its callers.
  absl::Status PackWeights(const dnnl::matmul::primitive_desc& pd, memory plain,
                           DnnlLinear* layer) const {
    layer->weights_desc = pd.weights_desc();
    layer->weights_buffer =
        std::make_unique<HugePageBuffer>(layer->weights_desc.get_size());
    if (layer->weights_buffer->data() == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot allocate ", layer->weights_desc.get_size(),
                       " bytes for packed weights"));
    }
    layer->weights =
        memory(layer->weights_desc, engine_, layer->weights_buffer->data());
    dnnl::stream stream(engine_);
    dnnl::reorder(plain, layer->weights).execute(stream, plain, layer->weights);
    stream.wait();
    return absl::OkStatus();
  }

  // int8: weights quantized per output feature (quantize.h), reordered into
  // the layout oneDNN's u8 x s8 matmul prefers; the products come out as
  // int32 and are dequantized, biased and activated by DequantizeProducts.
  absl::StatusOr<std::unique_ptr<PackedLinear>> PackInt8(
      const float* weight, const float* bias, int out_features, int in_features,
      std::optional<Activation> activation) const {
    auto layer = std::make_unique<DnnlLinear>(in_features, out_features);
    layer->shape = LinearShape{in_features, out_features,    DataType::u8,
                               activation,  bias != nullptr, DataType::s32};
    layer->int8_weights = QuantizeWeights(weight, out_features, in_features);
    if (bias != nullptr) layer->int8_bias.assign(bias, bias + out_features);
    try {
      const memory::desc src({kLayoutRows, in_features}, DataType::u8, Tag::ab);
      const memory::desc any_weights({in_features, out_features}, DataType::s8,
                                     Tag::any);
      const memory::desc dst({kLayoutRows, out_features}, DataType::s32,
                             Tag::ab);
      const dnnl::matmul::primitive_desc pd(
          dnnl::matmul::desc(src, any_weights, memory::desc(), dst),
          layer->attr, engine_);
      // [out, in] row-major is the K x N matrix in layout "ba".
      const memory plain({{in_features, out_features}, DataType::s8, Tag::ba},
                         engine_, layer->int8_weights.values.data());
      RETURN_IF_ERROR(PackWeights(pd, plain, layer.get()));
      std::vector<int8_t>().swap(layer->int8_weights.values);
      kernels_.Register(layer->shape, KernelSpec{layer->weights_desc,
                                                 memory::desc(), layer->attr});
    } catch (const dnnl::error& e) {
      return absl::InternalError(
          absl::StrCat("oneDNN could not pack a ", out_features, "x",
                       in_features, " int8 linear layer: ", e.what()));
    }
    return layer;
  }

  absl::Status LinearInt8(const DnnlLinear& layer, const float* x, int rows,
                          float* y) const {
    const size_t in = layer.in_features();
    const size_t out = layer.out_features();
    // u8 x s8 (unlike s8 x s8, which oneDNN 2.6 sends to its reference
    // kernel for a single row) has optimized kernels for every row count.
    thread_local std::vector<uint8_t> quantized;
    thread_local std::vector<float> scales;
    thread_local std::vector<int32_t> zero_points;
    thread_local std::vector<int32_t> products;
    const size_t count = static_cast<size_t>(rows);
    if (quantized.size() < count * in) quantized.resize(count * in);
    if (scales.size() < count) {
      scales.resize(count);
      zero_points.resize(count);
    }
    if (products.size() < count * out) products.resize(count * out);
    QuantizeActivations(x, count, in, input_max_, quantized.data(),
                        scales.data(), zero_points.data());
    RETURN_IF_ERROR(RunChunks(layer, quantized.data(), sizeof(uint8_t), rows,
                              products.data(), sizeof(int32_t)));
    DequantizeProducts(
        products.data(), rows, out, scales.data(), zero_points.data(),
        layer.int8_weights,
        layer.int8_bias.empty() ? nullptr : layer.int8_bias.data(),
        layer.shape.activation, y);
    return absl::OkStatus();
  }

  std::string Describe() const override {
    return absl::StrCat(
        "oneDNN ", dnnl::version()->major, ".", dnnl::version()->minor, ".",
        dnnl::version()->patch, " (", ComputeTypeName(compute_type_), ", ",
        num_threads_ > 0 ? num_threads_ : omp_get_max_threads(), " threads, ",
        IsaName(dnnl::get_effective_cpu_isa()), ")");
  }

 private:
  dnnl::engine engine_;
  ComputeType compute_type_;
  int num_threads_;
  int input_max_;
  mutable KernelCache kernels_;
};

}  // namespace

bool CpuHasNativeBFloat16() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 ||
         isa == dnnl::cpu_isa::avx512_core_amx;
}

int CpuInt8InputMax() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx2_vnni:
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
      return kUint8Max;
    default:
      return 127;
  }
}

void SetComputeThreads(int threads) {
  if (threads > 0 && omp_get_max_threads() != threads) {
    omp_set_num_threads(threads);
  }
}

absl::StatusOr<std::unique_ptr<Backend>> CreateDnnlBackend(
    ComputeType compute_type, int num_threads) {
  try {
    return std::make_unique<DnnlBackend>(compute_type, num_threads);
  } catch (const dnnl::error& e) {
    return absl::InternalError(
        absl::StrCat("cannot create the oneDNN CPU engine: ", e.what()));
  }
}

}  // namespace glossa::model
