#include "model/decoding/logits_processing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "model/kernels/ops.h"

namespace glossa::model {

namespace {
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();
}  // namespace

bool HasRepetitionRules(const DecodingOptions& options) {
  return options.repetition_penalty != 1.0f || options.no_repeat_ngram_size > 0;
}

void ApplyRepetitionRules(const DecodingOptions& options,
                          absl::Span<const int> history, float log_z,
                          float* scores) {
  const float penalty = options.repetition_penalty;
  if (penalty != 1.0f) {
    std::vector<int> seen(history.begin(), history.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (const int id : seen) {
      const float score = scores[id] - log_z;
      scores[id] = (score < 0 ? score * penalty : score / penalty) + log_z;
    }
  }
  // Ban every token that ended an n-gram whose first n-1 tokens equal the
  // sequence's last n-1 (n = 1: every token seen).
  const int n = options.no_repeat_ngram_size;
  const int length = static_cast<int>(history.size());
  if (n <= 0 || length + 1 < n) return;
  const absl::Span<const int> tail = history.subspan(length + 1 - n);
  for (int i = 0; i + n - 1 < length; ++i) {
    if (std::equal(tail.begin(), tail.end(), history.begin() + i)) {
      scores[history[i + n - 1]] = kMinusInf;
    }
  }
}

bool IsForcedStep(const ModelConfig& config, int generated, int max_output,
                  absl::Span<const int> forced_prefix) {
  return (config.forced_eos_token_id >= 0 && generated + 1 >= max_output) ||
         generated < static_cast<int>(forced_prefix.size());
}

void ApplyGenerationRules(const ModelConfig& config, int generated,
                          int min_output, int max_output,
                          absl::Span<const int> forced_prefix, float* scores) {
  const int vocab = config.vocab_size;
  if (config.forced_eos_token_id >= 0 && generated + 1 >= max_output) {
    std::fill(scores, scores + vocab, kMinusInf);
    scores[config.forced_eos_token_id] = 0.0f;
    return;
  }
  if (generated < static_cast<int>(forced_prefix.size())) {
    std::fill(scores, scores + vocab, kMinusInf);
    scores[forced_prefix[generated]] = 0.0f;
    return;
  }
  if (config.never_generate_pad) scores[config.pad_token_id] = kMinusInf;
  for (int id : config.bad_words_ids) {
    if (id != config.eos_token_id) scores[id] = kMinusInf;
  }
  if (generated + 1 < min_output) scores[config.eos_token_id] = kMinusInf;
}

int Argmax(const float* x, int n) {
  // Two vectorised passes (the maximum, then its first index) instead of
  // std::max_element's serial compare chain: greedy decoding runs this over
  // the whole vocabulary for every row of every step.
  if (n <= 0) return 0;
  float best = x[0];
#pragma omp simd reduction(max : best)
  for (int i = 0; i < n; ++i) best = std::max(best, x[i]);
  for (int i = 0; i < n; ++i) {
    if (x[i] == best) return i;
  }
  return 0;
}

std::vector<std::pair<float, int>> TopK(const float* x, int n, int k) {
  k = std::min(k, n);
  std::vector<std::pair<float, int>> best;
  best.reserve(k + 1);
  const auto better = [](const std::pair<float, int>& a,
                         const std::pair<float, int>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const auto offer = [&](int i) {
    if (static_cast<int>(best.size()) < k) {
      best.emplace_back(x[i], i);
      std::push_heap(best.begin(), best.end(), better);
    } else if (x[i] > best.front().first) {
      std::pop_heap(best.begin(), best.end(), better);
      best.back() = {x[i], i};
      std::push_heap(best.begin(), best.end(), better);
    }
  };
  // A running min-heap of size k. Once it is full, blocks whose maximum
  // cannot enter it are skipped with one vectorised pass: over a 32k
  // vocabulary almost all of them.
  constexpr int kBlock = 16;
  int i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    if (static_cast<int>(best.size()) == k) {
      float block_max = x[i];
#pragma omp simd reduction(max : block_max)
      for (int j = 0; j < kBlock; ++j) {
        block_max = x[i + j] > block_max ? x[i + j] : block_max;
      }
      if (!(block_max > best.front().first)) continue;
    }
    for (int j = 0; j < kBlock; ++j) offer(i + j);
  }
  for (; i < n; ++i) offer(i);
  std::sort(best.begin(), best.end(), better);
  return best;
}

int SampleToken(float* logits, int n, const DecodingOptions& options,
                std::mt19937_64& rng) {
  if (options.temperature <= 0.0f) return Argmax(logits, n);
  if (options.temperature != 1.0f) {
    // Shifted by the largest logit before dividing (softmax does not
    // change): with a tiny temperature the others then go towards -inf, as
    // they should, instead of overflowing to +-inf, whose softmax is NaN.
    const float top = logits[Argmax(logits, n)];
    if (std::isfinite(top)) {
      for (int i = 0; i < n; ++i) {
        logits[i] = (logits[i] - top) / options.temperature;
      }
    }
  }
  if (options.top_k > 0 && options.top_k < n) {
    std::vector<float> sorted(logits, logits + n);
    std::nth_element(sorted.begin(), sorted.begin() + (options.top_k - 1),
                     sorted.end(), std::greater<float>());
    const float threshold = sorted[options.top_k - 1];
    for (int i = 0; i < n; ++i) {
      if (logits[i] < threshold) logits[i] = kMinusInf;
    }
  }
  std::vector<float> probs(logits, logits + n);
  SoftmaxInPlace(probs.data(), n);
  if (options.top_p < 1.0f) {
    // Keep the smallest set of most likely tokens whose mass reaches top_p
    // (at least one).
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return probs[a] > probs[b]; });
    double mass = 0.0;
    int keep = 0;
    while (keep < n && (keep == 0 || mass < options.top_p)) {
      mass += probs[order[keep]];
      ++keep;
    }
    for (int i = keep; i < n; ++i) probs[order[i]] = 0.0f;
    const double total = mass;
    for (int i = 0; i < keep; ++i) {
      probs[order[i]] = static_cast<float>(probs[order[i]] / total);
    }
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double draw = uniform(rng);
  int last_nonzero = 0;
  for (int i = 0; i < n; ++i) {
    if (probs[i] <= 0.0f) continue;
    last_nonzero = i;
    draw -= probs[i];
    if (draw < 0.0) return i;
  }
  return last_nonzero;
}

}  // namespace glossa::model
