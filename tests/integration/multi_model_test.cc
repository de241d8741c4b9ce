// Several models in one server over a real channel: side by side, a new
// version under load, a corrupt version, unloading under load, and the
// least-recently-used unloading under a cap.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;

// The models: reference fixtures, and the bundled de-en model (a real
// translation model, whose answers differ from the copying fixtures').
std::string Fixture(const std::string& name) {
  if (name == "de-en") return absl::StrCat(GLOSSA_SOURCE_DIR, "/models/de-en");
  std::string dir = FixtureModelDir();
  return dir.substr(0, dir.find_last_of('/') + 1) + name;
}
const char kSwish[] = "tiny-swish";
const char kDeEn[] = "de-en";

const std::vector<std::string>& Sentences() {
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

Answer Translate(v1::Glossa::Stub& stub, const std::string& model,
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
Answer TranslateWhenReady(v1::Glossa::Stub& stub, const std::string& model,
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

v1::ModelInfo InfoOf(v1::Glossa::Stub& stub, const std::string& model) {
  v1::GetModelInfoRequest request;
  request.set_model(model);
  auto context = ContextWithTimeout();
  v1::ModelInfo info;
  EXPECT_TRUE(stub.GetModelInfo(context.get(), request, &info).ok());
  return info;
}

std::map<std::string, v1::ModelInfo> ListOf(v1::Glossa::Stub& stub) {
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

  static std::map<std::string, std::string>* reference_;
  TempDir repo_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};
std::map<std::string, std::string>* MultiModelTest::reference_ = nullptr;

TEST_F(MultiModelTest, TwoModelsAnswerSideBySideAsEachDoesAlone) {
  // Otherwise the test could not tell the models apart.
  ASSERT_NE(Reference(kSwish), Reference(kDeEn));
  repo_.Write("models.json", absl::StrCat(R"({"default_model": "swish",
      "models": [{"name": "swish", "path": ")",
                                          Fixture(kSwish), R"(",
                  "aliases": ["s"]},
                 {"name": "de-en", "path": ")",
                                          Fixture(kDeEn), R"("}]})"));
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--models_config=" + repo_.Path("models.json")}));

  // 16 callers, each alternating between the models (and the alias and the
  // default): every answer is that model's own.
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 16; ++c) {
    callers.emplace_back([&, c] {
      auto stub = server_->NewStub();
      for (int i = 0; i < 6; ++i) {
        const std::string model =
            (c + i) % 2 == 0
                ? "de-en"
                : std::vector<std::string>{"swish", "s", ""}[i % 3];
        const Answer answer = Translate(*stub, model, Sentences());
        if (!answer.status.ok()) {
          ++failed;
        } else if (answer.text !=
                   Reference(model == "de-en" ? kDeEn : kSwish)) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(wrong, 0);

  const auto models = ListOf(*stub_);
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models.at("swish").state(), v1::MODEL_STATE_AVAILABLE);
  EXPECT_EQ(models.at("de-en").state(), v1::MODEL_STATE_AVAILABLE);
  EXPECT_TRUE(models.at("swish").is_default());
  EXPECT_FALSE(models.at("de-en").is_default());
  EXPECT_THAT(models.at("swish").aliases(), ::testing::ElementsAre("s"));
  EXPECT_EQ(models.at("de-en").architecture(), "marian");
  EXPECT_GT(models.at("de-en").resident_bytes(), 0);
  EXPECT_EQ(models.at("de-en").model_version().size(), 16u);  // fingerprint
  EXPECT_EQ(InfoOf(*stub_, "s").name(), "swish");
  for (const char* service : {"", "swish", "s", "de-en"}) {
    EXPECT_EQ(server_->Health(service), "SERVING") << service;
  }

  const Answer unknown = Translate(*stub_, "fr-en", {"a"});
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.status.error_message(),
              HasSubstr("\"fr-en\" is not served here; served: de-en, swish"));
  // Per-model request metrics.
  EXPECT_GT(server_
                ->Metric("glossa_requests_total{code=\"OK\",model=\"de-en\","
                         "rpc=\"Translate\"}")
                .value_or(0),
            0);
  EXPECT_EQ(server_->Metric("glossa_model_available{model=\"swish\"}"), 1);
}

TEST_F(MultiModelTest, SeveralModelsWithoutADefaultNeedAName) {
  repo_.Link(Fixture(kSwish), "repo/swish");
  repo_.Link(Fixture(kDeEn), "repo/de-en");
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--model_repository=" + repo_.Path("repo")}));
  const Answer unnamed = Translate(*stub_, "", {"a"});
  EXPECT_EQ(unnamed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unnamed.status.error_message(),
              HasSubstr("name one in `model`: de-en, swish"));
  EXPECT_EQ(Translate(*stub_, "de-en", Sentences()).text, Reference(kDeEn));
}

// 32 callers translate without pause while a new version is added to the
// repository: no call fails, every answer is one version's, and no call that
// starts after a call was answered by the new version gets the old one.
TEST_F(MultiModelTest, ANewVersionUnderLoadSwitchesAtOnePointAndLosesNothing) {
  repo_.Link(Fixture(kSwish), "repo/m/1");
  ASSERT_NO_FATAL_FAILURE(StartServer(
      {"--model_repository=" + repo_.Path("repo"), "--model_poll_seconds=0"}));
  ASSERT_EQ(InfoOf(*stub_, "m").model_version(), "1");

  struct Call {
    absl::Time start, end;
    Answer answer;
  };
  absl::Mutex mu;
  std::vector<Call> calls;
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int c = 0; c < 32; ++c) {
    callers.emplace_back([&] {
      auto stub = server_->NewStub();
      while (!stop) {
        Call call;
        call.start = absl::Now();
        call.answer = Translate(*stub, "m", Sentences());
        call.end = absl::Now();
        absl::MutexLock lock(&mu);
        calls.push_back(std::move(call));
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  repo_.Link(Fixture(kDeEn), "repo/m/2");
  server_->Signal(SIGHUP);
  EXPECT_TRUE(WaitForModel(*stub_, "m", [](const v1::ModelInfo& info) {
    return info.model_version() == "2";
  }));
  absl::SleepFor(absl::Milliseconds(500));
  stop = true;
  for (std::thread& caller : callers) caller.join();

  absl::Time first_new_end = absl::InfiniteFuture();
  int old_answers = 0, new_answers = 0;
  for (const Call& call : calls) {
    ASSERT_TRUE(call.answer.status.ok()) << call.answer.status.error_message();
    const bool is_new = call.answer.text == Reference(kDeEn);
    ASSERT_TRUE(is_new || call.answer.text == Reference(kSwish));
    if (is_new) {
      ++new_answers;
      first_new_end = std::min(first_new_end, call.end);
    } else {
      ++old_answers;
    }
  }
  EXPECT_GT(old_answers, 0);
  EXPECT_GT(new_answers, 0);
  int old_after_switch = 0;
  for (const Call& call : calls) {
    if (call.start > first_new_end && call.answer.text == Reference(kSwish)) {
      ++old_after_switch;
    }
  }
  EXPECT_EQ(old_after_switch, 0);
  std::printf("reload under load: %zu calls, %d old, %d new, none failed\n",
              calls.size(), old_answers, new_answers);
  EXPECT_THAT(server_->Log(), HasSubstr("model=m version=2 serving"));
}

TEST_F(MultiModelTest, ACorruptVersionIsRefusedWhileTheOldOneServes) {
  repo_.Link(Fixture(kSwish), "repo/m/1");
  ASSERT_NO_FATAL_FAILURE(StartServer(
      {"--model_repository=" + repo_.Path("repo"), "--model_poll_seconds=0"}));
  // Version 2: the fixture's files, its weights cut short.
  const std::string v2 = repo_.Path("repo/m/2");
  RunShell(absl::StrCat("mkdir -p '", v2, "' && cp '", Fixture(kDeEn), "'/* '",
                        v2, "' && truncate -s 1000 '", v2,
                        "/model.safetensors'"));
  server_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForModel(*stub_, "m", [](const v1::ModelInfo& info) {
    return !info.state_message().empty();
  }));
  const v1::ModelInfo info = InfoOf(*stub_, "m");
  EXPECT_EQ(info.state(), v1::MODEL_STATE_AVAILABLE);
  EXPECT_EQ(info.model_version(), "1");
  EXPECT_THAT(info.state_message(), HasSubstr(v2));
  EXPECT_EQ(Translate(*stub_, "m", Sentences()).text, Reference(kSwish));
  EXPECT_EQ(server_->Metric(
                "glossa_model_loads_total{model=\"m\",outcome=\"failed\"}"),
            1);
  EXPECT_THAT(server_->Log(), HasSubstr("model=m load failed: "));
  EXPECT_EQ(server_->Health("m"), "SERVING");

  // LoadModel of the corrupt folder: refused with the reason, old serves.
  v1::LoadModelRequest load;
  load.set_model("m");
  load.set_path(v2);
  v1::ModelInfo loaded;
  auto context = ContextWithTimeout();
  grpc::Status refused = stub_->LoadModel(context.get(), load, &loaded);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("version 1 keeps serving"));
  EXPECT_EQ(Translate(*stub_, "m", Sentences()).text, Reference(kSwish));

  // A sound folder then loads, and answers.
  load.set_path(Fixture(kDeEn));
  context = ContextWithTimeout();
  grpc::Status ok = stub_->LoadModel(context.get(), load, &loaded);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(loaded.state(), v1::MODEL_STATE_AVAILABLE);
  EXPECT_TRUE(loaded.state_message().empty());
  EXPECT_EQ(Translate(*stub_, "m", Sentences()).text, Reference(kDeEn));
}

// Streams on a slow model are running when it is unloaded: they finish, the
// unload answers after them, and then the model is gone until loaded again.
TEST_F(MultiModelTest, UnloadUnderLoadDrainsFirst) {
  repo_.Write("models.json",
              absl::StrCat(R"({"models": [{"name": "slow", "path": ")",
                           SlowModelDir(), R"("}, {"name": "tiny", "path": ")",
                           Fixture(kSwish), R"("}]})"));
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--models_config=" + repo_.Path("models.json")}));
  constexpr int kStreams = 4;
  constexpr int kTokens = 32;
  std::atomic<int> started{0}, finished_ok{0};

  std::vector<std::thread> streams;
  for (int s = 0; s < kStreams; ++s) {
    streams.emplace_back([&] {
      auto stub = server_->NewStub();
      v1::GenerateRequest request;
      request.set_model("slow");
      request.set_text("Guten Morgen!");
      request.set_max_new_tokens(kTokens);
      request.set_min_new_tokens(kTokens);
      auto context = ContextWithTimeout(absl::Seconds(120));
      auto reader = stub->Generate(context.get(), request);
      v1::GenerateResponse response;
      int tokens = 0;
      while (reader->Read(&response)) {
        if (response.has_token() && tokens++ == 0) ++started;
      }
      const grpc::Status status = reader->Finish();
      EXPECT_TRUE(status.ok()) << status.error_message();
      EXPECT_GE(tokens, kTokens - 1);
      if (status.ok() && tokens >= kTokens - 1) ++finished_ok;
    });
  }
  while (started < kStreams) absl::SleepFor(absl::Milliseconds(5));
  v1::UnloadModelRequest unload;
  unload.set_model("slow");
  v1::ModelInfo unloaded;
  auto context = ContextWithTimeout(absl::Seconds(120));
  std::thread unloader([&] {
    grpc::Status status = stub_->UnloadModel(context.get(), unload, &unloaded);
    EXPECT_TRUE(status.ok()) << status.error_message();
  });
  // While it drains, new calls to it are refused; the other model serves.
  ASSERT_TRUE(WaitForModel(*stub_, "slow", [](const v1::ModelInfo& info) {
    return info.state() == v1::MODEL_STATE_UNLOADING;
  }));
  const Answer during = Translate(*stub_, "slow", {"a"});
  EXPECT_EQ(during.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(during.status.error_message(), HasSubstr("being unloaded"));
  EXPECT_EQ(Translate(*stub_, "tiny", Sentences()).text, Reference(kSwish));
  EXPECT_EQ(server_->Health("slow"), "NOT_SERVING");
  for (std::thread& stream : streams) stream.join();
  unloader.join();
  EXPECT_EQ(finished_ok, kStreams);  // none was cut short
  EXPECT_EQ(unloaded.state(), v1::MODEL_STATE_UNLOADED);

  const Answer after = Translate(*stub_, "slow", {"a"});
  EXPECT_EQ(after.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(after.status.error_message(), HasSubstr("LoadModel"));
  v1::LoadModelRequest load;
  load.set_model("slow");
  v1::ModelInfo loaded;
  context = ContextWithTimeout(absl::Seconds(120));
  ASSERT_TRUE(stub_->LoadModel(context.get(), load, &loaded).ok());
  EXPECT_TRUE(Translate(*stub_, "slow", {"a"}).status.ok());
  EXPECT_EQ(server_->Health("slow"), "SERVING");
}

std::string OnDemandConfig(const std::vector<std::string>& fixtures) {
  std::string models;
  for (size_t i = 0; i < fixtures.size(); ++i) {
    absl::StrAppend(&models, i == 0 ? "" : ",", R"({"name": ")",
                    std::string(1, static_cast<char>('a' + i)),
                    R"(", "path": ")", Fixture(fixtures[i]),
                    R"(", "load": "on_demand"})");
  }
  return absl::StrCat(R"({"models": [)", models, "]}");
}

TEST_F(MultiModelTest, TheLeastRecentlyUsedModelIsUnloadedUnderAModelCap) {
  repo_.Write("models.json", OnDemandConfig({kSwish, kDeEn, "tiny-gelu"}));
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--models_config=" + repo_.Path("models.json"),
                   "--max_loaded_models=2"}));
  EXPECT_EQ(ListOf(*stub_).at("a").state(), v1::MODEL_STATE_UNLOADED);
  const Answer first = Translate(*stub_, "a", Sentences());  // starts a load
  EXPECT_EQ(first.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(first.status.error_message(), HasSubstr("loaded on first use"));
  EXPECT_EQ(TranslateWhenReady(*stub_, "a", Sentences()).text,
            Reference(kSwish));
  EXPECT_EQ(TranslateWhenReady(*stub_, "b", Sentences()).text,
            Reference(kDeEn));
  EXPECT_TRUE(Translate(*stub_, "a", {"x"}).status.ok());  // a: most recent
  EXPECT_TRUE(TranslateWhenReady(*stub_, "c", {"x"}).status.ok());
  auto models = ListOf(*stub_);
  EXPECT_EQ(models.at("a").state(), v1::MODEL_STATE_AVAILABLE);
  EXPECT_EQ(models.at("b").state(), v1::MODEL_STATE_UNLOADED);
  EXPECT_EQ(models.at("c").state(), v1::MODEL_STATE_AVAILABLE);
  EXPECT_THAT(server_->Log(),
              HasSubstr("model=b unloading (least recently used) to make "
                        "room for c"));
  // b again: a is now the least recently used.
  EXPECT_EQ(TranslateWhenReady(*stub_, "b", Sentences()).text,
            Reference(kDeEn));
  models = ListOf(*stub_);
  EXPECT_EQ(models.at("a").state(), v1::MODEL_STATE_UNLOADED);
  EXPECT_EQ(models.at("c").state(), v1::MODEL_STATE_AVAILABLE);
}

TEST_F(MultiModelTest, TheLeastRecentlyUsedModelIsUnloadedUnderAMemoryCap) {
  const std::vector<std::string> fixtures = {kSwish, kDeEn, "tiny-bart"};
  repo_.Write("models.json", OnDemandConfig(fixtures));
  // Each model's resident bytes, measured by a server without a cap.
  int64_t total = 0, smallest = INT64_MAX;
  {
    ASSERT_NO_FATAL_FAILURE(
        StartServer({"--models_config=" + repo_.Path("models.json")}));
    for (const char* name : {"a", "b", "c"}) {
      ASSERT_TRUE(TranslateWhenReady(*stub_, name, {"x"}).status.ok());
      const int64_t bytes = InfoOf(*stub_, name).resident_bytes();
      ASSERT_GT(bytes, 0) << name;
      total += bytes;
      smallest = std::min(smallest, bytes);
    }
  }
  // Any two fit, all three do not.
  const int64_t cap = total - smallest / 2;
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--models_config=" + repo_.Path("models.json"),
                   absl::StrCat("--max_resident_bytes=", cap)}));
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(TranslateWhenReady(*stub_, name, {"x"}).status.ok()) << name;
  }
  // c answers as soon as it is loaded; a, unloaded for it, may still drain.
  EXPECT_TRUE(WaitForModel(*stub_, "a", [](const v1::ModelInfo& info) {
    return info.state() == v1::MODEL_STATE_UNLOADED;
  }));
  const auto models = ListOf(*stub_);
  EXPECT_EQ(models.at("c").state(), v1::MODEL_STATE_AVAILABLE);
  int64_t resident = 0;
  for (const auto& [name, info] : models) resident += info.resident_bytes();
  EXPECT_LE(resident, cap);
  EXPECT_EQ(server_->Metric("glossa_model_resident_bytes{model=\"c\"}"),
            models.at("c").resident_bytes());
}

TEST_F(MultiModelTest, LoadingAndUnloadingNeedAnAdminKey) {
  repo_.Write("keys", "user k-user\nops k-ops admin=true\n");
  ASSERT_NO_FATAL_FAILURE(StartServer(
      {"--model=" + Fixture(kSwish), "--api_keys_file=" + repo_.Path("keys")}));
  const auto unload = [&](const std::string& key) {
    auto context = ContextWithTimeout();
    context->AddMetadata("authorization", "Bearer " + key);
    v1::UnloadModelRequest request;
    request.set_model(kSwish);
    v1::ModelInfo info;
    return stub_->UnloadModel(context.get(), request, &info);
  };
  const grpc::Status user = unload("k-user");
  EXPECT_EQ(user.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(user.error_message(), HasSubstr("admin=true"));
  EXPECT_TRUE(unload("k-ops").ok());
}

// Resident memory of a process, from /proc.
int64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    int64_t kib = 0;
    if (sscanf(line.c_str(), "VmRSS: %lld kB",
               reinterpret_cast<long long*>(&kib)) == 1) {
      return kib << 10;
    }
  }
  return -1;
}

// Two names for one checkpoint (here through a link) hold one copy of its
// weights; a copy of the files in another folder holds a second. (Each name
// still has its own scheduler and buffers, which the warm-up sizes.)
TEST_F(MultiModelTest, TwoNamesForOneCheckpointShareItsWeights) {
  repo_.Link(Fixture(kDeEn), "link-to-de-en");
  RunShell(absl::StrCat("cp -r '", Fixture(kDeEn), "' '",
                        repo_.Path("copy-of-de-en"), "'"));
  const auto resident_with = [&](const std::string& second) {
    std::string models =
        absl::StrCat(R"({"name": "a", "path": ")", Fixture(kDeEn), R"("})");
    if (!second.empty()) {
      absl::StrAppend(&models, R"(, {"name": "b", "path": ")",
                      repo_.Path(second), R"("})");
    }
    repo_.Write("models.json", absl::StrCat(R"({"models": [)", models, "]}"));
    StartServer({"--models_config=" + repo_.Path("models.json")});
    EXPECT_TRUE(Translate(*stub_, "a", Sentences()).status.ok());
    if (!second.empty()) {
      EXPECT_EQ(Translate(*stub_, "b", Sentences()).text, Reference(kDeEn));
    }
    return ResidentBytes(server_->pid());
  };
  const int64_t one = resident_with("");
  const int64_t shared = resident_with("link-to-de-en");
  const int64_t copied = resident_with("copy-of-de-en");
  std::printf(
      "resident MiB: one model %.1f, two names sharing %.1f, two "
      "copies %.1f\n",
      one / 1048576.0, shared / 1048576.0, copied / 1048576.0);
  ASSERT_GT(copied - one, 20 << 20);  // the weights are worth measuring
  // The copy's extra cost is its weights: a clear part of what it adds.
  EXPECT_GT(copied - shared, (copied - one) / 3);
}

// The config file is read again every --model_poll_seconds: a model added
// to it loads, a model removed from it is unloaded, both without a restart.
// The CLI lists, unloads and loads them.
TEST_F(MultiModelTest, ConfigChangesApplyWhileServingAndTheCliManagesModels) {
  const auto config = [&](const std::vector<std::string>& names) {
    std::string models;
    for (const std::string& name : names) {
      absl::StrAppend(&models, models.empty() ? "" : ",", R"({"name": ")", name,
                      R"(", "path": ")",
                      Fixture(name == "swish" ? kSwish : kDeEn), R"("})");
    }
    repo_.Write("models.json", absl::StrCat(R"({"models": [)", models, "]}"));
  };
  config({"swish"});
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--models_config=" + repo_.Path("models.json"),
                   "--model_poll_seconds=1"}));
  config({"swish", "de-en"});
  ASSERT_TRUE(WaitForModel(*stub_, "de-en", [](const v1::ModelInfo& info) {
    return info.state() == v1::MODEL_STATE_AVAILABLE;
  }));
  EXPECT_EQ(Translate(*stub_, "de-en", Sentences()).text, Reference(kDeEn));
  config({"de-en"});
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (ListOf(*stub_).count("swish") > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(ListOf(*stub_).count("swish"), 0u);
  EXPECT_EQ(Translate(*stub_, "swish", {"a"}).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The only model left is now the default.
  EXPECT_EQ(Translate(*stub_, "", Sentences()).text, Reference(kDeEn));

  const std::string glossa =
      absl::StrCat(ClientBinary(), " --server=", server_->address(), " ");
  auto [listed, table] = RunShell(glossa + "models");
  EXPECT_EQ(listed, 0);
  EXPECT_THAT(table, HasSubstr("de-en *"));
  EXPECT_THAT(table, HasSubstr("available"));
  EXPECT_EQ(RunShell(glossa + "unload de-en").first, 0);
  EXPECT_THAT(RunShell(glossa + "models").second, HasSubstr("unloaded"));
  auto [loaded, said] = RunShell(glossa + "--compute_type=int8 load de-en");
  EXPECT_EQ(loaded, 0);
  EXPECT_THAT(said, HasSubstr("loaded de-en version"));
  EXPECT_EQ(InfoOf(*stub_, "de-en").compute_type(), "int8");
  EXPECT_NE(RunShell(glossa + "load no-such-model").first, 0);
}

}  // namespace
}  // namespace glossa::testing
