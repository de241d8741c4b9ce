#include "model/transformer/positions.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/kernels/ops.h"

namespace glossa::model {
namespace {

// Rows [kLearnedPositionOffset, + max_position_embeddings) of a stored
// table.
absl::StatusOr<std::vector<float>> LearnedTable(const ModelConfig& config,
                                                const std::string& name,
                                                const TensorSource& tensors) {
  const int d = config.d_model;
  const int rows = config.max_position_embeddings;
  ASSIGN_OR_RETURN(std::vector<float> stored,
                   tensors(name, {rows + kLearnedPositionOffset, d}));
  stored.erase(
      stored.begin(),
      stored.begin() + static_cast<size_t>(kLearnedPositionOffset) * d);
  return stored;
}

// Per-head biases over offsets [lowest, lowest + count) from a stored
// [buckets, heads] table: out[h * count + (offset - lowest)].
absl::StatusOr<std::vector<float>> RelativeTable(const ModelConfig& config,
                                                 const std::string& name,
                                                 int heads, bool bidirectional,
                                                 int lowest, int count,
                                                 const TensorSource& tensors) {
  const Architecture& a = config.architecture;
  ASSIGN_OR_RETURN(const std::vector<float> stored,
                   tensors(name, {a.relative_buckets, heads}));
  std::vector<float> table(static_cast<size_t>(heads) * count);
  for (int i = 0; i < count; ++i) {
    const int bucket = RelativePositionBucket(
        lowest + i, bidirectional, a.relative_buckets, a.relative_max_distance);
    for (int h = 0; h < heads; ++h) {
      table[static_cast<size_t>(h) * count + i] =
          stored[static_cast<size_t>(bucket) * heads + h];
    }
  }
  return table;
}

}  // namespace

int RelativePositionBucket(int relative_position, bool bidirectional,
                           int num_buckets, int max_distance) {
  int bucket = 0;
  int distance = relative_position;
  if (bidirectional) {
    num_buckets /= 2;
    if (distance > 0) bucket += num_buckets;
    distance = std::abs(distance);
  } else {
    distance = std::max(-distance, 0);
  }
  const int max_exact = num_buckets / 2;
  if (distance < max_exact) return bucket + distance;
  // float32 throughout, the order of transformers' tensor expression:
  // log(d / max_exact) / log(max_distance / max_exact) * (buckets - exact).
  const float ratio =
      static_cast<float>(distance) / static_cast<float>(max_exact);
  const float log_range = static_cast<float>(
      std::log(static_cast<double>(max_distance) / max_exact));
  const float scaled =
      std::log(ratio) / log_range * static_cast<float>(num_buckets - max_exact);
  const int large = max_exact + static_cast<int>(scaled);
  return bucket + std::min(large, num_buckets - 1);
}

std::vector<float> FairseqSinusoidalTable(int first, int count, int dim) {
  std::vector<float> table(static_cast<size_t>(count) * dim, 0.0f);
  const int half = dim / 2;
  // fairseq: step = log(10000) / (half - 1) and frequency j = exp(-j * step),
  // each rounded to float32 before the product with the position.
  const float step =
      half > 1 ? static_cast<float>(std::log(10000.0) / (half - 1)) : 0.0f;
  for (int i = 0; i < count; ++i) {
    const float position = static_cast<float>(first + i);
    float* row = &table[static_cast<size_t>(i) * dim];
    for (int j = 0; j < half; ++j) {
      const float frequency = std::exp(static_cast<float>(j) * -step);
      const float angle = position * frequency;
      row[j] = std::sin(angle);
      row[half + j] = std::cos(angle);
    }
  }
  return table;
}

absl::StatusOr<PositionTables> BuildPositionTables(
    const ModelConfig& config, const CheckpointLayout& layout,
    const TensorSource& tensors) {
  PositionTables tables;
  switch (config.architecture.positions) {
    case PositionEncoding::kSinusoidal:
      if (config.d_model % 2 != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("d_model must be even for sinusoidal positions, got ",
                         config.d_model));
      }
      tables.encoder = SinusoidalPositionTable(config.max_position_embeddings,
                                               config.d_model);
      return tables;
    case PositionEncoding::kFairseqSinusoidal:
      // The padding index's own row is zero and never read: real tokens
      // start after it.
      tables.encoder = FairseqSinusoidalTable(config.pad_token_id + 1,
                                              config.max_position_embeddings,
                                              config.d_model);
      return tables;
    case PositionEncoding::kLearned: {
      ASSIGN_OR_RETURN(tables.encoder,
                       LearnedTable(config, layout.encoder_positions, tensors));
      ASSIGN_OR_RETURN(tables.decoder,
                       LearnedTable(config, layout.decoder_positions, tensors));
      return tables;
    }
    case PositionEncoding::kRelativeBuckets: {
      const int span = config.max_position_embeddings;
      tables.span = span;
      ASSIGN_OR_RETURN(
          tables.encoder_relative,
          RelativeTable(config, layout.encoder_relative_bias,
                        config.encoder_attention_heads, /*bidirectional=*/true,
                        -(span - 1), 2 * span - 1, tensors));
      ASSIGN_OR_RETURN(
          tables.decoder_relative,
          RelativeTable(config, layout.decoder_relative_bias,
                        config.decoder_attention_heads,
                        /*bidirectional=*/false, -(span - 1), span, tensors));
      return tables;
    }
  }
  return absl::InternalError("unknown position encoding");
}

}  // namespace glossa::model
