// Plain loops: slow, obviously correct, the oracle the oneDNN path is tested
// against.
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/kernels/backend.h"
#include "model/kernels/ops.h"

namespace glossa::model {
namespace {

class ReferenceLinear final : public PackedLinear {
 public:
  ReferenceLinear(const float* weight, const float* bias, int out, int in,
                  std::optional<Activation> activation)
      : PackedLinear(in, out),
        weight_(weight, weight + static_cast<size_t>(out) * in),
        bias_(bias ? std::vector<float>(bias, bias + out)
                   : std::vector<float>(out, 0.0f)),
        activation_(activation) {}

  void Run(const float* x, int rows, float* y) const {
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

class ReferenceBackend final : public Backend {
 public:
  absl::StatusOr<std::unique_ptr<PackedLinear>> Pack(
      const float* weight, const float* bias, int out_features, int in_features,
      std::optional<Activation> activation) const override {
    return std::make_unique<ReferenceLinear>(weight, bias, out_features,
                                             in_features, activation);
  }

  absl::Status Linear(const PackedLinear& layer, const float* x, int rows,
                      float* y) const override {
    static_cast<const ReferenceLinear&>(layer).Run(x, rows, y);
    return absl::OkStatus();
  }

  std::string Describe() const override { return "reference (plain loops)"; }
};

}  // namespace

std::unique_ptr<Backend> CreateReferenceBackend() {
  return std::make_unique<ReferenceBackend>();
}

}  // namespace glossa::model
