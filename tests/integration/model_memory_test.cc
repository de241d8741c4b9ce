// Models leaving and sharing memory in one server over a real channel:
// unloading under load, the least-recently-used unloading under a model or
// memory cap, and one copy of weights for two names of a checkpoint.
#include <stdio.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/multi_model_support.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;

class ModelMemoryTest : public MultiModelTest {};

// Streams on a slow model are running when it is unloaded: they finish, the
// unload answers after them, and then the model is gone until loaded again.
TEST_F(ModelMemoryTest, UnloadUnderLoadDrainsFirst) {
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

TEST_F(ModelMemoryTest, TheLeastRecentlyUsedModelIsUnloadedUnderAModelCap) {
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

TEST_F(ModelMemoryTest, TheLeastRecentlyUsedModelIsUnloadedUnderAMemoryCap) {
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
TEST_F(ModelMemoryTest, TwoNamesForOneCheckpointShareItsWeights) {
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

}  // namespace
}  // namespace glossa::testing
