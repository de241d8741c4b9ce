// Plain loops: slow, obviously correct, the oracle the oneDNN path is tested
// against.
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/kernels/backend.h"
#include "model/kernels/ops.h"
#include "model/kernels/quantize.h"

namespace glossa::model {
namespace {

class ReferenceLinearBase : public PackedLinear {
 public:
  using PackedLinear::PackedLinear;
  virtual void Run(const float* x, int rows, float* y) const = 0;
};

class ReferenceLinear final : public ReferenceLinearBase {
 public:
  ReferenceLinear(const float* weight, const float* bias, int out, int in,
                  std::optional<Activation> activation)
      : ReferenceLinearBase(in, out),
        weight_(weight, weight + static_cast<size_t>(out) * in),
        bias_(bias ? std::vector<float>(bias, bias + out)
                   : std::vector<float>(out, 0.0f)),
        activation_(activation) {}

  void Run(const float* x, int rows, float* y) const override {
    const int in = in_features();
    const int out = out_features();
    for (int r = 0; r < rows; ++r) {
      for (int o = 0; o < out; ++o) {
        double sum = bias_[o];
        const float* w = &weight_[static_cast<size_t>(o) * in];
        const float* xr = x + static_cast<size_t>(r) * in;
        for (int i = 0; i < in; ++i) sum += static_cast<double>(xr[i]) * w[i];
        y[static_cast<size_t>(r) * out + o] = static_cast<float>(sum);
      }
    }
    if (activation_) {
      ApplyActivation(*activation_, y, static_cast<size_t>(rows) * out);
    }
  }

 private:
  std::vector<float> weight_;
  std::vector<float> bias_;
  std::optional<Activation> activation_;
};

// int8 (quantize.h): weights quantized per output feature at pack time,
// each input row at run time, u8 x s8 products summed in int32.
class ReferenceInt8Linear final : public ReferenceLinearBase {
 public:
  ReferenceInt8Linear(const float* weight, const float* bias, int out, int in,
                      std::optional<Activation> activation)
      : ReferenceLinearBase(in, out),
        weight_(QuantizeWeights(weight, out, in)),
        input_max_(CpuInt8InputMax()),
        bias_(bias ? std::vector<float>(bias, bias + out)
                   : std::vector<float>()),
        activation_(activation) {}

  void Run(const float* x, int rows, float* y) const override {
    const size_t in = in_features();
    const size_t out = out_features();
    std::vector<uint8_t> qx(rows * in);
    std::vector<float> scales(rows);
    std::vector<int32_t> zero_points(rows);
    QuantizeActivations(x, rows, in, input_max_, qx.data(), scales.data(),
                        zero_points.data());
    std::vector<int32_t> acc(rows * out);
    for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
      for (size_t o = 0; o < out; ++o) {
        int32_t sum = 0;
        for (size_t i = 0; i < in; ++i) {
          sum += static_cast<int32_t>(qx[r * in + i]) *
                 static_cast<int32_t>(weight_.values[o * in + i]);
        }
        acc[r * out + o] = sum;
      }
    }
    DequantizeProducts(acc.data(), rows, out, scales.data(), zero_points.data(),
                       weight_, bias_.empty() ? nullptr : bias_.data(),
                       activation_, y);
  }

 private:
  QuantizedWeights weight_;
  const int input_max_;
  std::vector<float> bias_;
  std::optional<Activation> activation_;
};

class ReferenceBackend final : public Backend {
 public:
  explicit ReferenceBackend(ComputeType compute_type)
      : compute_type_(compute_type) {}

  absl::StatusOr<std::unique_ptr<PackedLinear>> Pack(
      const float* weight, const float* bias, int out_features, int in_features,
      std::optional<Activation> activation) const override {
    if (compute_type_ == ComputeType::kInt8) {
      return std::make_unique<ReferenceInt8Linear>(weight, bias, out_features,
                                                   in_features, activation);
    }
    return std::make_unique<ReferenceLinear>(weight, bias, out_features,
                                             in_features, activation);
  }

  absl::Status Linear(const PackedLinear& layer, const float* x, int rows,
                      float* y) const override {
    static_cast<const ReferenceLinearBase&>(layer).Run(x, rows, y);
    return absl::OkStatus();
  }

  std::string Describe() const override {
    return absl::StrCat("reference (plain loops, ",
                        ComputeTypeName(compute_type_), ")");
  }

 private:
  ComputeType compute_type_;
};

}  // namespace

std::unique_ptr<Backend> CreateReferenceBackend(ComputeType compute_type) {
  return std::make_unique<ReferenceBackend>(compute_type);
}

}  // namespace glossa::model
