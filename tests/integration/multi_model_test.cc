// Several models in one server over a real channel: side by side, a new
// version under load, a corrupt version, admin-only loading, and config
// changes applied while serving. (Memory: model_memory_test.cc.)
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/multi_model_support.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;

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