// glossa-engine: the engine without a server.
//   glossa-engine translate --model=DIR [options] < sentences > translations
//   glossa-engine bench [--model=DIR] [--json] ...
//   glossa-engine random-model --out=DIR [--tokenizer_from=DIR]
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/program_usage.h"
#include "base/runtime_env.h"
#include "base/status_macros.h"
#include "model/cli/engine_bench.h"
#include "model/engine.h"
#include "model/families/random_model.h"

ABSL_FLAG(std::string, model, "", "Model directory (MarianMT layout).");
ABSL_FLAG(std::string, compute_type, "",
          "float32, int8 or bfloat16 (bench: comma-separated list). Default: "
          "float32; bench: every type this CPU runs natively.");
ABSL_FLAG(int, num_threads, 0, "Compute threads; 0 = available CPUs.");
ABSL_FLAG(int, beam_size, 0,
          "Beam width; 0 = the model's num_beams (1 when sampling).");
ABSL_FLAG(int, num_hypotheses, 1,
          "Hypotheses per sentence (<= beam_size); above 1 prints Marian "
          "n-best lines 'index ||| text ||| score'.");
ABSL_FLAG(float, length_penalty, 1.0f, "Beam length penalty exponent.");
ABSL_FLAG(int, max_output_tokens, 0, "Output token limit; 0 = model limit.");
ABSL_FLAG(int, min_output_tokens, 0, "Minimum output tokens (EOS included).");
ABSL_FLAG(float, repetition_penalty, 1.0f,
          "Repeated tokens' scores divided (> 1 discourages repeats).");
ABSL_FLAG(int, no_repeat_ngram_size, 0,
          "No n-gram of this size twice in an output (0 = off).");
ABSL_FLAG(bool, early_stopping, false,
          "Beam search ends once beam_size hypotheses have ended.");
ABSL_FLAG(bool, sampling, false, "Sample instead of argmax/beam search.");
ABSL_FLAG(float, temperature, 1.0f, "Sampling temperature.");
ABSL_FLAG(int, top_k, 0, "Sampling: keep the k most likely tokens (0 = all).");
ABSL_FLAG(float, top_p, 1.0f, "Sampling: nucleus mass in (0, 1].");
ABSL_FLAG(uint64_t, seed, 0, "Sampling seed.");
ABSL_FLAG(int, batch_size, 32, "Sentences decoded together.");
ABSL_FLAG(std::string, source_language, "",
          "Source language of a multilingual model: its code (deu_Latn) or "
          "an ISO 639 alias (de).");
ABSL_FLAG(std::string, target_language, "",
          "Target language of a multilingual model (`glossa info` lists "
          "its codes).");
ABSL_FLAG(bool, json, false, "bench: one JSON object per cell.");
ABSL_FLAG(std::string, beams, "1,4", "bench: beam sizes.");
ABSL_FLAG(std::string, batches, "1,16,64", "bench: batch sizes.");
ABSL_FLAG(int, sentences, 256, "bench: sentences per cell.");
ABSL_FLAG(int, output_tokens, 30, "bench: forced output length.");
ABSL_FLAG(std::string, out, "", "random-model: output directory.");
ABSL_FLAG(std::string, shape, "opus-mt-base",
          "bench (without --model) and random-model: opus-mt-base, "
          "nllb-600m, bart-base or flan-t5-base.");
ABSL_FLAG(std::string, tokenizer_from, "",
          "random-model: copy spm files and vocabulary from this model.");

namespace glossa::model {
namespace {

absl::StatusOr<std::vector<int>> ParseIntList(const std::string& text,
                                              const char* flag) {
  std::vector<int> values;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value;
    if (!absl::SimpleAtoi(part, &value) || value < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, " must be a list of positive integers, got '", text,
          "'"));
    }
    values.push_back(value);
  }
  return values;
}

int Threads() {
  const int flag = absl::GetFlag(FLAGS_num_threads);
  return flag > 0 ? flag : base::AvailableCpus();
}

absl::Status Translate() {
  const std::string dir = absl::GetFlag(FLAGS_model);
  if (dir.empty()) return absl::InvalidArgumentError("--model is required");
  LoadOptions load;
  const std::string type = absl::GetFlag(FLAGS_compute_type);
  ASSIGN_OR_RETURN(load.compute_type,
                   ParseComputeType(type.empty() ? "float32" : type));
  load.num_threads = Threads();
  ASSIGN_OR_RETURN(std::shared_ptr<const Engine> engine,
                   Engine::Load(dir, load));
  // Flags left at 0 keep the model's own defaults (Engine::DefaultOptions).
  DecodingOptions options = engine->DefaultOptions();
  options.sampling = absl::GetFlag(FLAGS_sampling);
  if (options.sampling) options.beam_size = 1;
  if (absl::GetFlag(FLAGS_beam_size) != 0) {
    options.beam_size = absl::GetFlag(FLAGS_beam_size);
  }
  if (absl::GetFlag(FLAGS_max_output_tokens) != 0) {
    options.max_output_tokens = absl::GetFlag(FLAGS_max_output_tokens);
  }
  options.num_hypotheses = absl::GetFlag(FLAGS_num_hypotheses);
  options.length_penalty = absl::GetFlag(FLAGS_length_penalty);
  options.min_output_tokens = absl::GetFlag(FLAGS_min_output_tokens);
  options.temperature = absl::GetFlag(FLAGS_temperature);
  options.top_k = absl::GetFlag(FLAGS_top_k);
  options.top_p = absl::GetFlag(FLAGS_top_p);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.repetition_penalty = absl::GetFlag(FLAGS_repetition_penalty);
  options.no_repeat_ngram_size = absl::GetFlag(FLAGS_no_repeat_ngram_size);
  options.early_stopping = absl::GetFlag(FLAGS_early_stopping);

  std::vector<std::string> lines;
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  LanguageRequest languages;
  languages.source = absl::GetFlag(FLAGS_source_language);
  languages.target = absl::GetFlag(FLAGS_target_language);
  languages.source_field = "--source_language";
  languages.target_field = "--target_language";
  ASSIGN_OR_RETURN(
      std::vector<TranslationResult> results,
      engine->Translate(lines, options, absl::GetFlag(FLAGS_batch_size),
                        languages));
  for (size_t i = 0; i < results.size(); ++i) {
    if (options.num_hypotheses == 1) {
      std::printf("%s\n", results[i].hypotheses.front().text.c_str());
      continue;
    }
    for (const TranslationHypothesis& hypothesis : results[i].hypotheses) {
      std::printf("%zu ||| %s ||| %.6f\n", i, hypothesis.text.c_str(),
                  hypothesis.score);
    }
  }
  return absl::OkStatus();
}

absl::Status Bench() {
  BenchOptions options;
  options.model_dir = absl::GetFlag(FLAGS_model);
  options.compute_types.clear();
  const std::string types = absl::GetFlag(FLAGS_compute_type);
  if (types.empty()) {
    options.compute_types = Engine::NativeComputeTypes();
    if (options.compute_types.size() < 3) {
      std::printf(
          "bfloat16 left out: this CPU has no AVX512-BF16 or AMX, and "
          "oneDNN's emulation is slower than float32 "
          "(--compute_type=bfloat16 runs it anyway)\n");
    }
  }
  for (absl::string_view name : absl::StrSplit(types, ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(ComputeType type, ParseComputeType(name));
    options.compute_types.push_back(type);
  }
  ASSIGN_OR_RETURN(options.beam_sizes,
                   ParseIntList(absl::GetFlag(FLAGS_beams), "beams"));
  ASSIGN_OR_RETURN(options.batch_sizes,
                   ParseIntList(absl::GetFlag(FLAGS_batches), "batches"));
  options.num_sentences = absl::GetFlag(FLAGS_sentences);
  options.output_tokens = absl::GetFlag(FLAGS_output_tokens);
  options.num_threads = Threads();
  options.json = absl::GetFlag(FLAGS_json);
  options.shape = absl::GetFlag(FLAGS_shape);
  return RunEngineBench(options);
}

absl::Status RandomModelCommand() {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::InvalidArgumentError("--out is required");
  ASSIGN_OR_RETURN(const ModelConfig shape,
                   BenchShapeConfig(absl::GetFlag(FLAGS_shape)));
  return WriteRandomModel(shape, 42, out, absl::GetFlag(FLAGS_tokenizer_from));
}

}  // namespace
}  // namespace glossa::model

int main(int argc, char** argv) {
  glossa::base::EnsurePassiveOpenMp(argv);
  glossa::base::SetProgramUsage(
      "glossa-engine translate --model=DIR [--beam_size=N] "
      "[--max_output_tokens=N] [--num_hypotheses=N] [--compute_type=T] < in\n"
      "glossa-engine bench [--model=DIR] [--json]\n"
      "glossa-engine random-model --out=DIR [--tokenizer_from=DIR]",
      "model/cli/");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "%s\n", absl::ProgramUsageMessage().data());
    return 2;
  }
  const std::string command = args[1];
  absl::Status status;
  if (command == "translate") {
    status = glossa::model::Translate();
  } else if (command == "bench") {
    status = glossa::model::Bench();
  } else if (command == "random-model") {
    status = glossa::model::RandomModelCommand();
  } else {
    std::fprintf(stderr, "unknown command '%s'\n%s\n", command.c_str(),
                 absl::ProgramUsageMessage().data());
    return 2;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "glossa-engine %s: %s\n", command.c_str(),
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}
