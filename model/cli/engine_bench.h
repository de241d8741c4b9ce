#ifndef GLOSSA_MODEL_CLI_ENGINE_BENCH_H_
#define GLOSSA_MODEL_CLI_ENGINE_BENCH_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "model/transformer/model.h"

namespace glossa::model {

struct BenchOptions {
  std::string model_dir;               // empty: random weights of `shape`
  std::string shape = "opus-mt-base";  // BenchShapeConfig
  std::vector<ComputeType> compute_types = {ComputeType::kFloat32};
  std::vector<int> beam_sizes = {1, 4};
  std::vector<int> batch_sizes = {1, 16, 64};
  int num_sentences = 256;
  int min_source_tokens = 20;
  int max_source_tokens = 30;
  int output_tokens = 30;  // forced: min = max output tokens
  int num_threads = 2;
  bool json = false;
};

// Decodes random sources for every (compute type, beam, batch) cell and
// prints target tokens/s, ms per sentence and peak memory.
absl::Status RunEngineBench(const BenchOptions& options);

}  // namespace glossa::model

#endif  // GLOSSA_MODEL_CLI_ENGINE_BENCH_H_
