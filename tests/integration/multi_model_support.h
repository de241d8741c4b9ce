// What the several-models tests share: the fixtures, a scratch model
// repository, calls that wait for a model to load, and a test fixture that
// knows each model's answers when it is served alone.
#ifndef GLOSSA_TESTS_INTEGRATION_MULTI_MODEL_SUPPORT_H_
#define GLOSSA_TESTS_INTEGRATION_MULTI_MODEL_SUPPORT_H_

#include <stdlib.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {

// The models: reference fixtures, and the bundled de-en model (a real
// translation model, whose answers differ from the copying fixtures').
inline std::string Fixture(const std::string& name) {
  if (name == "de-en") return absl::StrCat(GLOSSA_SOURCE_DIR, "/models/de-en");
  std::string dir = FixtureModelDir();
  return dir.substr(0, dir.find_last_of('/') + 1) + name;
}
inline constexpr char kSwish[] = "tiny-swish";
inline constexpr char kDeEn[] = "de-en";

inline const std::vector<std::string>& Sentences() {
  static const auto* sentences = new std::vector<std::string>{
      "Guten Morgen!", "Das ist ein kleiner Test.", "Wie geht es dir heute?",
      "Ich lese ein Buch.", "Der Hund schläft im Garten."};
  return *sentences;
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/glossa_repo_XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { RunShell(absl::StrCat("rm -rf '", path_, "'")); }
  const std::string& path() const { return path_; }
  std::string Path(const std::string& relative) const {
    return absl::StrCat(path_, "/", relative);
  }
  // `relative` (its parent folders made) becomes a link to `target`.
  void Link(const std::string& target, const std::string& relative) const {
    const std::string link = Path(relative);
    RunShell(absl::StrCat("mkdir -p \"$(dirname '", link, "')\" && ln -sfn '",
                          target, "' '", link, "'"));
  }
  void Write(const std::string& relative, const std::string& text) const {
    const std::string file = Path(relative);
    RunShell(absl::StrCat("mkdir -p \"$(dirname '", file, "')\""));
    std::ofstream(file) << text;
  }

 private:
  std::string path_;
};

struct Answer {
  grpc::Status status;
  std::string text;  // all segments' best hypotheses, joined by '\n'
};

inline Answer Translate(v1::Glossa::Stub& stub, const std::string& model,
                        const std::vector<std::string>& segments) {
  v1::TranslateRequest request = TranslateRequestOf(segments);
  request.set_model(model);
  request.mutable_options()->set_beam_size(1);
  auto context = ContextWithTimeout();
  v1::TranslateResponse response;
  Answer answer;
  answer.status = stub.Translate(context.get(), request, &response);
  for (const v1::Translation& t : response.translations()) {
    absl::StrAppend(&answer.text, t.hypotheses(0).text(), "\n");
  }
  return answer;
}

// Retries while the model loads (on first use, or a reload).
inline Answer TranslateWhenReady(v1::Glossa::Stub& stub,
                                 const std::string& model,
                                 const std::vector<std::string>& segments) {
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (true) {
    Answer answer = Translate(stub, model, segments);
    if (answer.status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        absl::Now() > give_up) {
      return answer;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

inline v1::ModelInfo InfoOf(v1::Glossa::Stub& stub, const std::string& model) {
  v1::GetModelInfoRequest request;
  request.set_model(model);
  auto context = ContextWithTimeout();
  v1::ModelInfo info;
  EXPECT_TRUE(stub.GetModelInfo(context.get(), request, &info).ok());
  return info;
}

inline std::map<std::string, v1::ModelInfo> ListOf(v1::Glossa::Stub& stub) {
  auto context = ContextWithTimeout();
  v1::ListModelsResponse response;
  EXPECT_TRUE(
      stub.ListModels(context.get(), v1::ListModelsRequest(), &response).ok());
  std::map<std::string, v1::ModelInfo> models;
  for (const v1::ModelInfo& info : response.models())
    models[info.name()] = info;
  return models;
}

// Waits until `done(info of model)` holds; false after 60 s.
template <typename Done>
bool WaitForModel(v1::Glossa::Stub& stub, const std::string& model,
                  const Done& done) {
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    const auto models = ListOf(stub);
    const auto it = models.find(model);
    if (it != models.end() && done(it->second)) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

class MultiModelTest : public ::testing::Test {
 protected:
  // Each fixture's answers, from a server that serves it alone.
  static void SetUpTestSuite() {
    reference_ = new std::map<std::string, std::string>;
    for (const char* name : {kSwish, kDeEn}) {
      auto server = ServerProcess::Start({"--model=" + Fixture(name)});
      ASSERT_TRUE(server.ok()) << server.status();
      Answer answer = Translate(*(*server)->NewStub(), "", Sentences());
      ASSERT_TRUE(answer.status.ok()) << answer.status.error_message();
      (*reference_)[name] = answer.text;
    }
  }
  static void TearDownTestSuite() { delete reference_; }
  static const std::string& Reference(const char* name) {
    return reference_->at(name);
  }

  void StartServer(std::vector<std::string> flags) {
    auto server = ServerProcess::Start(std::move(flags));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = server_->NewStub();
  }

  inline static std::map<std::string, std::string>* reference_ = nullptr;
  TempDir repo_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

}  // namespace glossa::testing

#endif  // GLOSSA_TESTS_INTEGRATION_MULTI_MODEL_SUPPORT_H_
