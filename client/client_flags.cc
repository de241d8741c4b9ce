#include "client/client_flags.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, server, "localhost:50051",
          "Server address: host:port, dns:///host:port (all addresses of a "
          "name, e.g. a Kubernetes headless service) or "
          "ipv4:addr:port,addr:port. Env: GLOSSA_SERVER.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(60),
          "Deadline of each call, e.g. 500ms, 30s.");
ABSL_FLAG(std::string, lb_policy, "",
          "Load balancing over the target's addresses: pick_first or "
          "round_robin (empty: gRPC's default, pick_first).");
ABSL_FLAG(std::string, api_key, "",
          "API key sent as 'authorization: Bearer <key>' (servers started "
          "with --api_keys_file). Env: GLOSSA_API_KEY, which keeps it out of "
          "the process list.");
ABSL_FLAG(bool, tls, false, "Use TLS (implied by --tls_ca/--tls_cert).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle to verify the server (default: system roots).");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate chain, for mutual TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM client private key, for mutual TLS.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Expected name in the server certificate (default: from --server).");

ABSL_FLAG(std::string, model, "", "Model name (default: the server's).");
ABSL_FLAG(std::string, compute_type, "",
          "load: float32, int8 or bfloat16 (default: the configured one).");
ABSL_FLAG(std::string, source_language, "",
          "Source language of a multilingual model: its code (deu_Latn) or "
          "an ISO 639 alias (de).");
ABSL_FLAG(std::string, target_language, "",
          "Target language of a multilingual model (`glossa info` lists "
          "its codes).");
ABSL_FLAG(bool, json, false, "Print responses (or bench results) as JSON.");
ABSL_FLAG(int, batch, 16, "translate: stdin lines sent per request.");
ABSL_FLAG(std::string, service, "",
          "health: service to check (\"\" = the whole server).");
ABSL_FLAG(bool, verbose, false,
          "generate: print each token's id and logprob to stderr.");

ABSL_FLAG(int, beam_size, 0, "Beam width (0: server default, greedy).");
ABSL_FLAG(int, num_hypotheses, 0, "Hypotheses per segment (0: 1).");
ABSL_FLAG(double, length_penalty, 1.0, "Beam length penalty.");
ABSL_FLAG(int, max_output_tokens, 0,
          "Most tokens per output, EOS included (0: server default). Also "
          "generate's max_new_tokens.");
ABSL_FLAG(int, min_output_tokens, 0, "Fewest tokens per output.");
ABSL_FLAG(double, repetition_penalty, 1.0,
          "Repeated tokens' scores divided (> 1 discourages repeats).");
ABSL_FLAG(int, no_repeat_ngram_size, 0,
          "No n-gram of this size twice in an output (0: off).");
ABSL_FLAG(bool, early_stopping, false,
          "translate: beam search ends once beam_size hypotheses ended.");
ABSL_FLAG(bool, sample, false, "Sample instead of greedy / beam search.");
ABSL_FLAG(double, temperature, 1.0, "Sampling temperature, > 0.");
ABSL_FLAG(int, top_k, 0, "Sampling: k most likely tokens (0: off).");
ABSL_FLAG(double, top_p, 1.0, "Sampling: nucleus mass in (0, 1].");
ABSL_FLAG(int64_t, seed, -1, "Sampling seed (-1: chosen by the server).");
ABSL_FLAG(bool, scores, false, "translate: print hypothesis scores.");
ABSL_FLAG(std::optional<bool>, cache, std::nullopt,
          "Let the server answer repeated segments from its translation "
          "cache: translate defaults to true, bench to false (it measures "
          "decoding).");
ABSL_FLAG(std::string, target_prefix, "",
          "translate, generate: text every output starts with (forced).");
ABSL_FLAG(std::vector<std::string>, terms, {},
          "translate: terminology, SOURCE=TARGET (or =TARGET for every "
          "segment), comma-separated; needs --beam_size >= 2.");
ABSL_FLAG(std::string, terms_file, "",
          "translate: terminology file, one SOURCE<TAB>TARGET per line.");
ABSL_FLAG(bool, token_logprobs, false,
          "translate: return every token's log-probability (--json shows "
          "them).");
ABSL_FLAG(int, token_alternatives, 0,
          "translate (greedy or sampling): with --token_logprobs, this many "
          "most likely tokens per step (--json shows them).");
ABSL_FLAG(bool, alignments, false,
          "translate: return word alignments (--json shows them; otherwise "
          "one 'source-target' word pair list per line).");
ABSL_FLAG(int, alignment_layer, -1,
          "translate: decoder layer of the alignments (-1: the server's "
          "default, the last).");
ABSL_FLAG(bool, html, false,
          "document: the document is HTML (implied by a .html / .htm name).");
ABSL_FLAG(std::vector<std::string>, stop, {},
          "generate: comma-separated stop sequences.");

ABSL_FLAG(int, concurrency, 8, "bench: concurrent callers.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(30),
          "bench: how long to run (unless --requests is reached first).");
ABSL_FLAG(int, requests, 0, "bench: stop after this many calls (0: no cap).");
ABSL_FLAG(std::string, rpc, "translate",
          "bench: translate, generate or mixed (alternating).");
ABSL_FLAG(std::string, input_file, "",
          "bench: input texts, one per line (default: built-in German "
          "sentences of mixed lengths).");
ABSL_FLAG(int, segments, 1, "bench: segments per Translate call.");
ABSL_FLAG(int, connections, 1,
          "bench: channels (HTTP/2 connections) the callers share.");
ABSL_FLAG(absl::Duration, progress_interval, absl::Seconds(1),
          "bench: how often the progress line is updated (0: never).");

namespace glossa::client {
namespace {

void SetSampling(v1::SamplingOptions* sampling) {
  sampling->set_temperature(
      static_cast<float>(absl::GetFlag(FLAGS_temperature)));
  sampling->set_top_k(absl::GetFlag(FLAGS_top_k));
  sampling->set_top_p(static_cast<float>(absl::GetFlag(FLAGS_top_p)));
  if (absl::GetFlag(FLAGS_seed) >= 0) {
    sampling->set_seed(static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)));
  }
}

}  // namespace

v1::TranslateOptions TranslateOptionsFromFlags() {
  v1::TranslateOptions options;
  if (absl::GetFlag(FLAGS_beam_size) != 0) {
    options.set_beam_size(absl::GetFlag(FLAGS_beam_size));
  }
  if (absl::GetFlag(FLAGS_num_hypotheses) != 0) {
    options.set_num_hypotheses(absl::GetFlag(FLAGS_num_hypotheses));
  }
  if (absl::GetFlag(FLAGS_length_penalty) != 1.0) {
    options.set_length_penalty(
        static_cast<float>(absl::GetFlag(FLAGS_length_penalty)));
  }
  if (absl::GetFlag(FLAGS_max_output_tokens) != 0) {
    options.set_max_output_tokens(absl::GetFlag(FLAGS_max_output_tokens));
  }
  if (absl::GetFlag(FLAGS_min_output_tokens) != 0) {
    options.set_min_output_tokens(absl::GetFlag(FLAGS_min_output_tokens));
  }
  if (absl::GetFlag(FLAGS_repetition_penalty) != 1.0) {
    options.set_repetition_penalty(
        static_cast<float>(absl::GetFlag(FLAGS_repetition_penalty)));
  }
  if (absl::GetFlag(FLAGS_no_repeat_ngram_size) != 0) {
    options.set_no_repeat_ngram_size(absl::GetFlag(FLAGS_no_repeat_ngram_size));
  }
  if (absl::GetFlag(FLAGS_early_stopping)) options.set_early_stopping(true);
  if (absl::GetFlag(FLAGS_cache).has_value() && !*absl::GetFlag(FLAGS_cache)) {
    options.set_use_cache(false);
  }
  if (absl::GetFlag(FLAGS_sample)) SetSampling(options.mutable_sampling());
  options.set_return_scores(absl::GetFlag(FLAGS_scores));
  options.set_return_token_logprobs(absl::GetFlag(FLAGS_token_logprobs));
  options.set_return_alignments(absl::GetFlag(FLAGS_alignments));
  options.set_token_alternatives(absl::GetFlag(FLAGS_token_alternatives));
  if (absl::GetFlag(FLAGS_alignment_layer) >= 0) {
    options.set_alignment_layer(absl::GetFlag(FLAGS_alignment_layer));
  }
  return options;
}

absl::Status ApplyTerminologyFlags(v1::TranslateOptions* options) {
  const auto add = [options](absl::string_view source,
                             absl::string_view target) {
    v1::Term* term = options->add_terminology();
    term->set_source(std::string(source));
    term->set_target(std::string(target));
  };
  for (const std::string& entry : absl::GetFlag(FLAGS_terms)) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--terms: '", entry, "' is not SOURCE=TARGET (or =TARGET)"));
    }
    add(absl::string_view(entry).substr(0, equals),
        absl::string_view(entry).substr(equals + 1));
  }
  const std::string path = absl::GetFlag(FLAGS_terms_file);
  if (path.empty()) return absl::OkStatus();
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": expected SOURCE<TAB>TARGET, got ",
                       fields.size(), " field(s)"));
    }
    add(fields[0], fields[1]);
  }
  return absl::OkStatus();
}

void ApplyTargetPrefix(v1::TranslateRequest* request) {
  const std::string prefix = absl::GetFlag(FLAGS_target_prefix);
  if (prefix.empty()) return;
  for (int i = 0; i < request->segments_size(); ++i) {
    request->add_target_prefix(prefix);
  }
}

void ApplyLanguageFlags(v1::TranslateRequest* request) {
  request->set_source_language(absl::GetFlag(FLAGS_source_language));
  request->set_target_language(absl::GetFlag(FLAGS_target_language));
}

v1::GenerateRequest GenerateRequestFromFlags(const std::string& text) {
  v1::GenerateRequest request;
  request.set_model(absl::GetFlag(FLAGS_model));
  request.set_text(text);
  request.set_target_prefix(absl::GetFlag(FLAGS_target_prefix));
  if (absl::GetFlag(FLAGS_beam_size) != 0) {
    request.set_beam_size(absl::GetFlag(FLAGS_beam_size));
  }
  if (absl::GetFlag(FLAGS_length_penalty) != 1.0) {
    request.set_length_penalty(
        static_cast<float>(absl::GetFlag(FLAGS_length_penalty)));
  }
  request.set_source_language(absl::GetFlag(FLAGS_source_language));
  request.set_target_language(absl::GetFlag(FLAGS_target_language));
  if (absl::GetFlag(FLAGS_max_output_tokens) != 0) {
    request.set_max_new_tokens(absl::GetFlag(FLAGS_max_output_tokens));
  }
  if (absl::GetFlag(FLAGS_min_output_tokens) != 0) {
    request.set_min_new_tokens(absl::GetFlag(FLAGS_min_output_tokens));
  }
  if (absl::GetFlag(FLAGS_repetition_penalty) != 1.0) {
    request.set_repetition_penalty(
        static_cast<float>(absl::GetFlag(FLAGS_repetition_penalty)));
  }
  if (absl::GetFlag(FLAGS_no_repeat_ngram_size) != 0) {
    request.set_no_repeat_ngram_size(absl::GetFlag(FLAGS_no_repeat_ngram_size));
  }
  if (absl::GetFlag(FLAGS_sample)) SetSampling(request.mutable_sampling());
  for (const std::string& stop : absl::GetFlag(FLAGS_stop)) {
    request.add_stop(stop);
  }
  return request;
}

void ApplyEnvironment() {
  for (const char* name : {"server", "api_key"}) {
    const std::string variable =
        absl::StrCat("GLOSSA_", absl::AsciiStrToUpper(name));
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    std::string error;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr || !flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "glossa: %s: %s\n", variable.c_str(), error.c_str());
      std::exit(2);
    }
  }
}

}  // namespace glossa::client
