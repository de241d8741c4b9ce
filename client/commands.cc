#include "client/commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/channel.h"
#include "client/client_flags.h"
#include "glossa/v1/glossa.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace glossa::client {
namespace {

int Failed(const grpc::Status& status) {
  std::fprintf(stderr, "glossa: %s: %s\n",
               StatusCodeName(status.error_code()).c_str(),
               status.error_message().c_str());
  return 1;
}

int Failed(const absl::Status& status) {
  std::fprintf(stderr, "glossa: %s\n", std::string(status.message()).c_str());
  return 2;
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

// A hypothesis's alignment links as "source=target" token pairs (the
// tokens' text; links of tokens that cover no text are left out).
std::string AlignedPairs(const std::string& source,
                         const v1::Hypothesis& hypothesis) {
  std::vector<std::string> pairs;
  const std::string& target = hypothesis.text();
  for (const v1::AlignmentLink& link : hypothesis.alignments()) {
    if (link.source_end() <= link.source_begin() ||
        link.target_end() <= link.target_begin() ||
        static_cast<size_t>(link.source_end()) > source.size() ||
        static_cast<size_t>(link.target_end()) > target.size()) {
      continue;
    }
    pairs.push_back(
        absl::StrCat(source.substr(link.source_begin(),
                                   link.source_end() - link.source_begin()),
                     "=",
                     target.substr(link.target_begin(),
                                   link.target_end() - link.target_begin())));
  }
  return absl::StrJoin(pairs, " ");
}

// Prints one request's translations; returns the exit status.
int TranslateBatch(v1::Glossa::Stub& stub,
                   const std::vector<std::string>& texts) {
  v1::TranslateRequest request;
  request.set_model(absl::GetFlag(FLAGS_model));
  for (const std::string& text : texts) request.add_segments(text);
  *request.mutable_options() = TranslateOptionsFromFlags();
  ApplyLanguageFlags(&request);
  ApplyTargetPrefix(&request);
  if (absl::Status terms = ApplyTerminologyFlags(request.mutable_options());
      !terms.ok()) {
    std::fprintf(stderr, "glossa: %s\n", std::string(terms.message()).c_str());
    return 2;
  }
  v1::TranslateResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const grpc::Status status = stub.Translate(context.get(), request, &response);
  if (!status.ok()) return Failed(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(response, false) << "\n";
    return 0;
  }
  const bool detailed =
      absl::GetFlag(FLAGS_scores) || request.options().num_hypotheses() > 1;
  for (int s = 0; s < response.translations_size(); ++s) {
    const v1::Translation& translation = response.translations(s);
    if (!detailed) {
      std::cout << (translation.hypotheses_size() > 0
                        ? translation.hypotheses(0).text()
                        : "");
      if (absl::GetFlag(FLAGS_alignments) &&
          translation.hypotheses_size() > 0) {
        std::cout << "\t" << AlignedPairs(texts[s], translation.hypotheses(0));
      }
      std::cout << "\n";
      continue;
    }
    for (int i = 0; i < translation.hypotheses_size(); ++i) {
      const v1::Hypothesis& hypothesis = translation.hypotheses(i);
      std::cout << i << "\t" << hypothesis.score() << "\t" << hypothesis.text()
                << "\n";
    }
  }
  std::cout.flush();
  return 0;
}

}  // namespace

int RunTranslate(const std::vector<std::string>& texts) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = v1::Glossa::NewStub(*channel);
  if (!texts.empty()) return TranslateBatch(*stub, texts);
  // stdin: --batch lines per call, results in input order.
  const size_t batch = std::max(1, absl::GetFlag(FLAGS_batch));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(std::cin, line)) {
    lines.push_back(line);
    if (lines.size() == batch) {
      if (int rc = TranslateBatch(*stub, lines); rc != 0) return rc;
      lines.clear();
    }
  }
  if (!lines.empty()) return TranslateBatch(*stub, lines);
  return 0;
}

int RunDocument(const std::string& path) {
  std::string document;
  if (path == "-") {
    document.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "glossa: %s: cannot open\n", path.c_str());
      return 2;
    }
    document.assign(std::istreambuf_iterator<char>(file), {});
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = v1::Glossa::NewStub(*channel);
  v1::TranslateDocumentRequest request;
  request.set_model(absl::GetFlag(FLAGS_model));
  request.set_document(std::move(document));
  const bool html = absl::GetFlag(FLAGS_html) ||
                    absl::EndsWith(path, ".html") ||
                    absl::EndsWith(path, ".htm");
  request.set_format(html ? v1::DOCUMENT_FORMAT_HTML
                          : v1::DOCUMENT_FORMAT_TEXT);
  *request.mutable_options() = TranslateOptionsFromFlags();
  if (absl::Status terms = ApplyTerminologyFlags(request.mutable_options());
      !terms.ok()) {
    std::fprintf(stderr, "glossa: %s\n", std::string(terms.message()).c_str());
    return 2;
  }
  request.set_source_language(absl::GetFlag(FLAGS_source_language));
  request.set_target_language(absl::GetFlag(FLAGS_target_language));
  v1::TranslateDocumentResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const grpc::Status status =
      stub->TranslateDocument(context.get(), request, &response);
  if (!status.ok()) return Failed(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(response, false) << "\n";
  } else {
    std::cout << response.document();
  }
  std::cout.flush();
  return 0;
}

int RunGenerate(const std::vector<std::string>& words) {
  if (words.empty()) {
    return Failed(absl::InvalidArgumentError("generate needs a text"));
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = v1::Glossa::NewStub(*channel);
  const v1::GenerateRequest request =
      GenerateRequestFromFlags(absl::StrJoin(words, " "));
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  std::unique_ptr<grpc::ClientReader<v1::GenerateResponse>> reader =
      stub->Generate(context.get(), request);
  const bool json = absl::GetFlag(FLAGS_json);
  const bool verbose = absl::GetFlag(FLAGS_verbose);
  v1::GenerateResponse response;
  while (reader->Read(&response)) {
    if (json) {
      std::cout << ToJson(response, false) << "\n" << std::flush;
      continue;
    }
    std::cout << response.text() << std::flush;
    if (verbose && response.has_token()) {
      std::fprintf(stderr, "[token %d id=%d logprob=%.4f]\n",
                   response.token().index(), response.token().id(),
                   response.token().logprob());
    }
    if (response.has_result()) {
      const v1::GenerateResult& result = response.result();
      std::cout << "\n" << std::flush;
      std::fprintf(stderr,
                   "[finish_reason=%s input_tokens=%lld "
                   "output_tokens=%lld]\n",
                   v1::FinishReason_Name(result.finish_reason()).c_str(),
                   static_cast<long long>(result.usage().input_tokens()),
                   static_cast<long long>(result.usage().output_tokens()));
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return Failed(status);
  return 0;
}

int RunInfo() {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = v1::Glossa::NewStub(*channel);
  v1::GetModelInfoRequest request;
  request.set_model(absl::GetFlag(FLAGS_model));
  v1::ModelInfo info;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const grpc::Status status = stub->GetModelInfo(context.get(), request, &info);
  if (!status.ok()) return Failed(status);
  std::cout << ToJson(info, !absl::GetFlag(FLAGS_json)) << "\n";
  return 0;
}

int RunModels() {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = v1::Glossa::NewStub(*channel);
  v1::ListModelsResponse list;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const grpc::Status status =
      stub->ListModels(context.get(), v1::ListModelsRequest(), &list);
  if (!status.ok()) return Failed(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(list, false) << "\n";
    return 0;
  }
  std::cout << absl::StrFormat("%-24s %-10s %-18s %-10s %10s  %s\n", "NAME",
                               "STATE", "VERSION", "LOAD", "MIB", "ALIASES");
  for (const v1::ModelInfo& info : list.models()) {
    std::string state = v1::ModelState_Name(info.state());
    state = absl::AsciiStrToLower(absl::StripPrefix(state, "MODEL_STATE_"));
    std::cout << absl::StrFormat(
        "%-24s %-10s %-18s %-10s %10.1f  %s%s\n",
        absl::StrCat(info.name(), info.is_default() ? " *" : ""), state,
        info.model_version(), info.load_policy(),
        info.resident_bytes() / 1048576.0, absl::StrJoin(info.aliases(), ","),
        info.state_message().empty()
            ? ""
            : absl::StrCat("\n  last load failed: ", info.state_message()));
  }
  return 0;
}

int RunLoad(const std::string& model, const std::string& path) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = v1::Glossa::NewStub(*channel);
  v1::LoadModelRequest request;
  request.set_model(model);
  request.set_path(path);
  request.set_compute_type(absl::GetFlag(FLAGS_compute_type));
  v1::ModelInfo info;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const grpc::Status status = stub->LoadModel(context.get(), request, &info);
  if (!status.ok()) return Failed(status);
  std::cout << "loaded " << info.name() << " version " << info.model_version()
            << " (" << info.compute_type() << ")\n";
  return 0;
}

int RunUnload(const std::string& model) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = v1::Glossa::NewStub(*channel);
  v1::UnloadModelRequest request;
  request.set_model(model);
  v1::ModelInfo info;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const grpc::Status status = stub->UnloadModel(context.get(), request, &info);
  if (!status.ok()) return Failed(status);
  std::cout << "unloaded " << info.name() << "\n";
  return 0;
}

int RunHealth() {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelFromFlags();
  if (!channel.ok()) return Failed(channel.status());
  auto stub = grpc::health::v1::Health::NewStub(*channel);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  const grpc::Status status = stub->Check(context.get(), request, &response);
  if (!status.ok()) return Failed(status);
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                   response.status())
            << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? 0
             : 1;
}

}  // namespace glossa::client
