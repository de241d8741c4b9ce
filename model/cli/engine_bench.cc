#include "model/cli/engine_bench.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/decoding/batch_decoder.h"
#include "model/families/family.h"
#include "model/families/random_model.h"

namespace glossa::model {
namespace {

// Peak resident set (VmHWM) since the last reset, in MiB.
double PeakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0.0;
}

void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Decodes `sources` in batches of `batch_size`; returns target tokens.
absl::StatusOr<long> DecodeAll(std::shared_ptr<const Model> model,
                               const std::vector<std::vector<int>>& sources,
                               const DecodingOptions& options, int batch_size) {
  long tokens = 0;
  // One decoder for the run, as a server keeps one: batches reuse its
  // buffers.
  BatchDecoder decoder(model);
  for (size_t begin = 0; begin < sources.size(); begin += batch_size) {
    std::vector<NewSequence> batch;
    for (size_t i = begin; i < std::min(sources.size(), begin + batch_size);
         ++i) {
      batch.push_back({sources[i], options});
    }
    RETURN_IF_ERROR(decoder.Add(std::move(batch)).status());
    while (decoder.num_sequences() > 0) {
      ASSIGN_OR_RETURN(std::vector<SequenceEvent> events, decoder.Step());
      for (const SequenceEvent& event : events) {
        if (event.finished) {
          tokens += event.hypotheses.front().token_ids.size() + 1;
        }
      }
    }
  }
  return tokens;
}

}  // namespace

absl::Status RunEngineBench(const BenchOptions& options) {
  std::mt19937 rng(1234);
  std::vector<std::vector<int>> sources(options.num_sentences);
  for (const ComputeType compute_type : options.compute_types) {
    LoadOptions load;
    load.compute_type = compute_type;
    load.num_threads = options.num_threads;
    std::shared_ptr<const Model> model;
    const auto started = std::chrono::steady_clock::now();
    if (options.model_dir.empty()) {
      ASSIGN_OR_RETURN(const ModelConfig shape,
                       BenchShapeConfig(options.shape));
      ASSIGN_OR_RETURN(model, RandomModel(shape, 42, load));
    } else {
      ASSIGN_OR_RETURN(model, LoadModel(options.model_dir, load));
    }
    const double load_s = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - started)
                              .count();
    const ModelConfig& config = model->config();
    // Random ids from the ordinary vocabulary (not EOS / pad), EOS last.
    std::uniform_int_distribution<int> length(options.min_source_tokens,
                                              options.max_source_tokens);
    std::uniform_int_distribution<int> token(1, config.vocab_size - 2);
    for (auto& source : sources) {
      source.clear();
      const int n = length(rng);
      for (int i = 0; i + 1 < n; ++i) source.push_back(token(rng));
      source.push_back(config.eos_token_id);
    }
    if (!options.json) {
      const std::string what =
          options.model_dir.empty()
              ? absl::StrCat("random ", options.shape, " shape")
              : options.model_dir;
      std::printf("model: %s, %s; loaded in %.1f s\n", what.c_str(),
                  model->DescribeBackend().c_str(), load_s);
      std::printf("%-9s %4s %5s %12s %12s %10s\n", "compute", "beam", "batch",
                  "tokens/s", "ms/sentence", "peak MiB");
    }
    for (const int beam : options.beam_sizes) {
      for (const int batch : options.batch_sizes) {
        DecodingOptions decoding;
        decoding.beam_size = beam;
        decoding.max_output_tokens = options.output_tokens;
        decoding.min_output_tokens = options.output_tokens;
        // Warm-up: primitives for this batch shape are created once.
        std::vector<std::vector<int>> warm(
            sources.begin(),
            sources.begin() + std::min<size_t>(batch, sources.size()));
        RETURN_IF_ERROR(DecodeAll(model, warm, decoding, batch).status());
        ResetPeakRss();
        const auto begin = std::chrono::steady_clock::now();
        ASSIGN_OR_RETURN(long tokens,
                         DecodeAll(model, sources, decoding, batch));
        const double seconds = std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - begin)
                                   .count();
        const double tokens_per_s = tokens / seconds;
        const double ms_per_sentence = 1000.0 * seconds / sources.size();
        const double peak = PeakRssMb();
        if (options.json) {
          std::printf(
              "{\"compute_type\": \"%s\", \"beam\": %d, \"batch\": %d, "
              "\"sentences\": %zu, \"target_tokens\": %ld, "
              "\"target_tokens_per_s\": %.1f, \"ms_per_sentence\": %.2f, "
              "\"peak_rss_mb\": %.1f}\n",
              std::string(ComputeTypeName(compute_type)).c_str(), beam, batch,
              sources.size(), tokens, tokens_per_s, ms_per_sentence, peak);
        } else {
          std::printf("%-9s %4d %5d %12.1f %12.2f %10.1f\n",
                      std::string(ComputeTypeName(compute_type)).c_str(), beam,
                      batch, tokens_per_s, ms_per_sentence, peak);
        }
        std::fflush(stdout);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace glossa::model
