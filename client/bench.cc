#include "client/bench.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/bench_stats.h"
#include "client/channel.h"
#include "client/client_flags.h"
#include "glossa/v1/glossa.grpc.pb.h"

namespace glossa::client {
namespace {

// German inputs from 2 to ~45 words, so that a run mixes short and long
// sequences (what separates continuous from request-level batching).
const std::vector<std::string>& BuiltInInputs() {
  static const auto* inputs = new std::vector<std::string>{
      "Guten Morgen.",
      "Die Datei wurde nicht gefunden.",
      "Vielen Dank für Ihre Hilfe.",
      "Das Programm konnte nicht gestartet werden, weil eine Bibliothek "
      "fehlt.",
      "Bitte geben Sie Ihr Passwort ein.",
      "Ja.",
      "Wir haben gestern Abend in einem kleinen Restaurant am Fluss gegessen "
      "und danach einen langen Spaziergang durch die Altstadt gemacht.",
      "Speichern",
      "Die Verbindung zum Server wurde unterbrochen. Möchten Sie es erneut "
      "versuchen?",
      "Der Zug nach Berlin hat heute wegen eines technischen Problems "
      "ungefähr zwanzig Minuten Verspätung, und viele Reisende haben ihren "
      "Anschluss verpasst, obwohl die Bahn zusätzliche Busse eingesetzt hat, "
      "um die Fahrgäste so schnell wie möglich an ihr Ziel zu bringen.",
      "Ungültige Eingabe.",
      "Es regnet seit drei Tagen ohne Pause.",
      "Klicken Sie auf die Schaltfläche, um die Einstellungen zu öffnen.",
      "Meine Schwester wohnt seit zehn Jahren in Hamburg und arbeitet dort "
      "als Ärztin in einem großen Krankenhaus.",
      "Fehler beim Lesen der Konfigurationsdatei.",
      "Kann ich Ihnen helfen?",
  };
  return *inputs;
}

absl::StatusOr<std::vector<std::string>> LoadInputs() {
  const std::string path = absl::GetFlag(FLAGS_input_file);
  if (path.empty()) return BuiltInInputs();
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--input_file: cannot read \"", path, "\""));
  }
  std::vector<std::string> inputs;
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StripAsciiWhitespace(line).empty()) inputs.push_back(line);
  }
  if (inputs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--input_file: \"", path, "\" holds no text"));
  }
  return inputs;
}

double Ms(absl::Duration duration) {
  return absl::ToDoubleMilliseconds(duration);
}

CallRecord CallTranslate(v1::Glossa::Stub& stub,
                         const v1::TranslateRequest& request) {
  CallRecord record;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  v1::TranslateResponse response;
  const absl::Time start = absl::Now();
  const grpc::Status status = stub.Translate(context.get(), request, &response);
  record.latency_ms = Ms(absl::Now() - start);
  record.ok = status.ok();
  record.code = StatusCodeName(status.error_code());
  record.message = status.error_message();
  record.input_tokens = response.usage().input_tokens();
  record.output_tokens = response.usage().output_tokens();
  return record;
}

CallRecord CallGenerate(v1::Glossa::Stub& stub,
                        const v1::GenerateRequest& request) {
  CallRecord record;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const absl::Time start = absl::Now();
  auto reader = stub.Generate(context.get(), request);
  v1::GenerateResponse response;
  absl::Time first = absl::InfinitePast(), last = absl::InfinitePast();
  int tokens = 0;
  while (reader->Read(&response)) {
    if (response.has_token()) {
      const absl::Time now = absl::Now();
      if (tokens++ == 0) first = now;
      last = now;
    }
    if (response.has_result()) {
      record.input_tokens = response.result().usage().input_tokens();
      record.output_tokens = response.result().usage().output_tokens();
    }
  }
  const grpc::Status status = reader->Finish();
  record.latency_ms = Ms(absl::Now() - start);
  record.ok = status.ok();
  record.code = StatusCodeName(status.error_code());
  record.message = status.error_message();
  if (tokens > 0) record.ttft_ms = Ms(first - start);
  if (tokens > 1) record.inter_token_ms = Ms(last - first) / (tokens - 1);
  return record;
}

}  // namespace

int RunBench() {
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  if (rpc != "translate" && rpc != "generate" && rpc != "mixed") {
    std::fprintf(stderr,
                 "glossa: --rpc must be translate, generate or mixed\n");
    return 2;
  }
  absl::StatusOr<std::vector<std::string>> inputs = LoadInputs();
  if (!inputs.ok()) {
    std::fprintf(stderr, "glossa: %s\n",
                 std::string(inputs.status().message()).c_str());
    return 2;
  }
  const int concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  const int connections = std::max(1, absl::GetFlag(FLAGS_connections));
  const int segments = std::max(1, absl::GetFlag(FLAGS_segments));
  const int64_t max_requests = absl::GetFlag(FLAGS_requests);
  std::vector<std::unique_ptr<v1::Glossa::Stub>> stubs;
  for (int i = 0; i < connections; ++i) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeChannelFromFlags(i);
    if (!channel.ok()) {
      std::fprintf(stderr, "glossa: %s\n",
                   std::string(channel.status().message()).c_str());
      return 2;
    }
    stubs.push_back(v1::Glossa::NewStub(*channel));
  }

  std::atomic<int64_t> issued{0};
  std::atomic<int64_t> done_ok{0}, done_errors{0}, done_tokens{0};
  absl::Mutex mu;
  std::vector<CallRecord> records;  // guarded by mu
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::GetFlag(FLAGS_duration);
  // The load generator repeats its inputs: it measures decoding, so the
  // server's translation cache is off for its calls unless --cache is set
  // on purpose (then it measures the cache).
  v1::TranslateOptions options = TranslateOptionsFromFlags();
  if (!absl::GetFlag(FLAGS_cache).has_value() || !*absl::GetFlag(FLAGS_cache)) {
    options.set_use_cache(false);
  }
  const std::string model = absl::GetFlag(FLAGS_model);

  auto worker = [&](int id) {
    v1::Glossa::Stub& stub = *stubs[id % connections];
    std::vector<CallRecord> mine;
    while (absl::Now() < end) {
      const int64_t n = issued.fetch_add(1);
      if (max_requests > 0 && n >= max_requests) break;
      const bool generate = rpc == "generate" || (rpc == "mixed" && n % 2 == 1);
      CallRecord record;
      if (generate) {
        record = CallGenerate(
            stub, GenerateRequestFromFlags((*inputs)[n % inputs->size()]));
      } else {
        v1::TranslateRequest request;
        request.set_model(model);
        ApplyLanguageFlags(&request);
        *request.mutable_options() = options;
        for (int s = 0; s < segments; ++s) {
          request.add_segments((*inputs)[(n * segments + s) % inputs->size()]);
        }
        record = CallTranslate(stub, request);
      }
      (record.ok ? done_ok : done_errors).fetch_add(1);
      done_tokens.fetch_add(record.output_tokens);
      mine.push_back(std::move(record));
    }
    absl::MutexLock lock(&mu);
    records.insert(records.end(), mine.begin(), mine.end());
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) threads.emplace_back(worker, i);
  const absl::Duration interval = absl::GetFlag(FLAGS_progress_interval);
  std::atomic<bool> finished{false};
  std::thread progress([&] {
    if (interval <= absl::ZeroDuration()) return;
    absl::Time last_print = start;
    while (!finished.load()) {
      absl::SleepFor(std::min(interval, absl::Milliseconds(100)));
      if (absl::Now() - last_print < interval || finished.load()) continue;
      last_print = absl::Now();
      const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
      std::fprintf(stderr,
                   "\r[bench %s c=%d] %6.1fs  ok %-7lld errors %-5lld "
                   "%8.1f req/s %9.1f tok/s   ",
                   rpc.c_str(), concurrency, elapsed,
                   static_cast<long long>(done_ok.load()),
                   static_cast<long long>(done_errors.load()),
                   done_ok.load() / elapsed, done_tokens.load() / elapsed);
      std::fflush(stderr);
    }
    std::fprintf(stderr, "\n");
  });
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  finished.store(true);
  progress.join();

  const BenchSummary summary = Summarize(records, rpc, concurrency, seconds);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << FormatJson(summary) << std::endl;
  } else {
    std::cout << FormatText(summary) << std::flush;
  }
  return summary.ok > 0 ? 0 : 1;
}

}  // namespace glossa::client
