// The model registry with real engines (a tiny BART fixture, whose byte-level
// BPE tokenizer needs no SentencePiece, so this runs under the sanitizers
// too): lookups, versions replaced under concurrent calls, unloading, caps,
// and shutdown with work pending.
#include "server/models/model_registry.h"

#include <stdlib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/scheduling/clock.h"

namespace glossa::server {
namespace {

using ::testing::HasSubstr;

std::string Fixture() {
  return absl::StrCat(GLOSSA_SOURCE_DIR, "/tests/reference/fixtures/tiny-bart");
}

// Decodes one short text greedily; OnComplete's status, then the ids.
class OneTextTask final : public Task {
 public:
  OneTextTask(std::vector<Sequence> sequences)
      : Task(std::move(sequences), absl::Now(),
             absl::Now() + absl::Minutes(1)) {}
  bool OnToken(int, int, float) override { return true; }
  void OnSequenceFinished(int, SequenceOutcome outcome) override {
    if (!outcome.hypotheses.empty()) ids_ = outcome.hypotheses[0].token_ids;
  }
  void OnComplete(absl::Status status) override {
    status_ = std::move(status);
    done_.Notify();
  }
  absl::Status Wait() {
    done_.WaitForNotification();
    return status_;
  }
  const std::vector<int>& ids() const { return ids_; }

 private:
  absl::Notification done_;
  absl::Status status_;
  std::vector<int> ids_;
};

// Finds `model` and decodes a text with the version found: the output ids.
absl::StatusOr<std::vector<int>> Decode(ModelRegistry& registry,
                                        const std::string& model) {
  absl::StatusOr<std::shared_ptr<const ServingBackend>> backend =
      registry.Find(model);
  if (!backend.ok()) return backend.status();
  absl::StatusOr<model::SourceText> source =
      (*backend)->engine->CheckSource("text", "copy this text", 64);
  if (!source.ok()) return source.status();
  Task::Sequence sequence{source->ids, (*backend)->validator->defaults()};
  sequence.options.beam_size = 1;
  sequence.options.max_output_tokens = 8;
  auto task = std::make_shared<OneTextTask>(
      std::vector<Task::Sequence>{std::move(sequence)});
  absl::Status scheduled = (*backend)->scheduler->Schedule(task);
  if (!scheduled.ok()) return scheduled;
  absl::Status done = task->Wait();
  if (!done.ok()) return done;
  return task->ids();
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/glossa_registry_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    options_.num_threads = 1;
    options_.drain_timeout = absl::Seconds(30);
    options_.defaults.scheduler.max_batch_size = 4;
    options_.defaults.scheduler.max_batch_tokens = 64;
    options_.defaults.limits.max_beam_size = 2;
  }
  void TearDown() override {
    registry_.reset();
    ASSERT_EQ(system(absl::StrCat("rm -rf '", root_, "'").c_str()), 0);
  }

  void Start() {
    registry_ =
        std::make_unique<ModelRegistry>(options_, RealClock::Get(), nullptr);
  }
  ModelSpec Spec(const std::string& name, const std::string& path,
                 LoadPolicy policy = LoadPolicy::kStartup) const {
    ModelSpec spec = SpecFromDefaults(options_.defaults);
    spec.name = name;
    spec.path = path;
    spec.policy = policy;
    return spec;
  }
  void Link(const std::string& relative) const {
    ASSERT_EQ(system(absl::StrCat("mkdir -p \"$(dirname '", root_, "/",
                                  relative, "')\" && ln -sfn '", Fixture(),
                                  "' '", root_, "/", relative, "'")
                         .c_str()),
              0);
  }
  v1::ModelInfo Info(const std::string& name) const {
    absl::StatusOr<v1::ModelInfo> info = registry_->Describe(name);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : v1::ModelInfo();
  }

  std::string root_;
  RegistryOptions options_;
  std::unique_ptr<ModelRegistry> registry_;
};

TEST_F(ModelRegistryTest, FindsModelsByNameAliasAndDefault) {
  Start();
  ModelsConfig config;
  config.models = {Spec("a", Fixture()), Spec("b", Fixture())};
  config.models[1].aliases = {"bee"};
  config.default_model = "a";
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  absl::StatusOr<std::vector<int>> a = Decode(*registry_, "");
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::vector<int>> b = Decode(*registry_, "bee");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);  // one checkpoint
  EXPECT_EQ((*registry_->Find("bee"))->name, "b");
  // One checkpoint, one engine.
  EXPECT_EQ((*registry_->Find("a"))->engine, (*registry_->Find("b"))->engine);
  const absl::Status unknown = registry_->Find("c").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("served: a, b"));
  EXPECT_EQ(registry_->List().models_size(), 2);
  EXPECT_TRUE(Info("a").is_default());
  EXPECT_THAT(Info("b").aliases(), ::testing::ElementsAre("bee"));
}

TEST_F(ModelRegistryTest, ANewVersionReplacesTheOldUnderConcurrentCalls) {
  Link("repo/m/1");
  Start();
  ModelsConfig config;
  config.models = {Spec("m", root_ + "/repo/m/1")};
  config.models[0].version = "1";
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 8; ++c) {
    callers.emplace_back([&] {
      while (!stop) {
        (Decode(*registry_, "m").ok() ? ok : failed)++;
      }
    });
  }
  // Three new versions, each at int8 then float32: new engines each time.
  for (int v = 2; v <= 4; ++v) {
    absl::SleepFor(absl::Milliseconds(100));
    config.models[0].version = absl::StrCat(v);
    config.models[0].compute_type = v % 2 == 0 ? "int8" : "float32";
    registry_->Apply(config);
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    while (Info("m").model_version() != absl::StrCat(v) &&
           absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_EQ(Info("m").model_version(), absl::StrCat(v));
  }
  absl::SleepFor(absl::Milliseconds(100));
  stop = true;
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(ok, 0);
  EXPECT_EQ(Info("m").compute_type(), "int8");
}

TEST_F(ModelRegistryTest, AFailedLoadKeepsTheOldVersion) {
  Start();
  ModelsConfig config;
  config.models = {Spec("m", Fixture())};
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  absl::Notification answered;
  absl::StatusOr<v1::ModelInfo> outcome = absl::UnknownError("");
  v1::LoadModelRequest load;
  load.set_model("m");
  load.set_path(root_ + "/missing");
  registry_->Load(load, [&](absl::StatusOr<v1::ModelInfo> info) {
    outcome = std::move(info);
    answered.Notify();
  });
  answered.WaitForNotification();
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(outcome.status().message(), HasSubstr("keeps serving"));
  EXPECT_EQ(Info("m").state(), v1::MODEL_STATE_AVAILABLE);
  EXPECT_THAT(Info("m").state_message(), HasSubstr(root_ + "/missing"));
  EXPECT_TRUE(Decode(*registry_, "m").ok());
}

TEST_F(ModelRegistryTest, UnloadWaitsForTheCallsThatHoldTheVersion) {
  Start();
  ModelsConfig config;
  config.models = {Spec("m", Fixture())};
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  std::shared_ptr<const ServingBackend> held = *registry_->Find("m");
  std::atomic<bool> answered{false};
  absl::Notification done;
  v1::UnloadModelRequest unload;
  unload.set_model("m");
  registry_->Unload(unload, [&](absl::StatusOr<v1::ModelInfo> info) {
    EXPECT_TRUE(info.ok());
    EXPECT_EQ(info->state(), v1::MODEL_STATE_UNLOADED);
    answered = true;
    done.Notify();
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(answered);  // a call still holds the version
  EXPECT_EQ(Info("m").state(), v1::MODEL_STATE_UNLOADING);
  EXPECT_EQ(registry_->Find("m").status().code(),
            absl::StatusCode::kUnavailable);
  held.reset();
  done.WaitForNotification();
  EXPECT_THAT(registry_->Find("m").status().message(), HasSubstr("LoadModel"));
}

TEST_F(ModelRegistryTest, OnDemandModelsLoadOnFirstUseAndGoLeastRecentFirst) {
  options_.max_loaded_models = 1;
  Start();
  ModelsConfig config;
  config.models = {Spec("a", Fixture(), LoadPolicy::kOnDemand),
                   Spec("b", Fixture(), LoadPolicy::kOnDemand)};
  config.models[1].compute_type = "int8";  // another engine
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  EXPECT_EQ(Info("a").state(), v1::MODEL_STATE_UNLOADED);
  const auto use = [&](const std::string& name) {
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    absl::StatusOr<std::vector<int>> ids = Decode(*registry_, name);
    while (absl::IsUnavailable(ids.status()) && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
      ids = Decode(*registry_, name);
    }
    return ids.status();
  };
  EXPECT_TRUE(use("a").ok());
  EXPECT_TRUE(use("b").ok());
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (Info("a").state() != v1::MODEL_STATE_UNLOADED &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Info("a").state(), v1::MODEL_STATE_UNLOADED);
  EXPECT_EQ(Info("b").state(), v1::MODEL_STATE_AVAILABLE);
}

// Waits for an administration call's answer.
absl::StatusOr<v1::ModelInfo> Await(
    const std::function<void(ModelDirectory::InfoCallback)>& start) {
  absl::Notification answered;
  absl::StatusOr<v1::ModelInfo> outcome = absl::UnknownError("");
  start([&](absl::StatusOr<v1::ModelInfo> info) {
    outcome = std::move(info);
    answered.Notify();
  });
  answered.WaitForNotification();
  return outcome;
}

// A model that drains (a call holds it) does not hold up the loads queued
// behind its unload.
TEST_F(ModelRegistryTest, ADrainingUnloadDoesNotBlockOtherLoads) {
  Start();
  ModelsConfig config;
  config.models = {Spec("m", Fixture()), Spec("n", Fixture())};
  config.models[1].compute_type = "int8";
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  std::shared_ptr<const ServingBackend> held = *registry_->Find("m");
  absl::Notification unloaded;
  v1::UnloadModelRequest unload;
  unload.set_model("m");
  registry_->Unload(unload,
                    [&](absl::StatusOr<v1::ModelInfo>) { unloaded.Notify(); });
  v1::LoadModelRequest load;
  load.set_model("n");
  const absl::StatusOr<v1::ModelInfo> reloaded = Await(
      [&](ModelDirectory::InfoCallback done) { registry_->Load(load, done); });
  EXPECT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_FALSE(unloaded.HasBeenNotified());
  held.reset();
  unloaded.WaitForNotification();
}

// A model added by LoadModel stays when the configuration is read again.
TEST_F(ModelRegistryTest, AModelAddedAtRunTimeSurvivesTheConfiguration) {
  Start();
  ModelsConfig config;
  config.models = {Spec("m", Fixture())};
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  v1::LoadModelRequest load;
  load.set_model("added");
  load.set_path(Fixture());
  ASSERT_TRUE(Await([&](ModelDirectory::InfoCallback done) {
                registry_->Load(load, done);
              }).ok());
  registry_->Apply(config);  // as the periodic check does
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  EXPECT_TRUE(Decode(*registry_, "added").ok());
  EXPECT_EQ(registry_->List().models_size(), 2);
}

// An on-demand model whose load failed tries again once its configuration
// changes.
TEST_F(ModelRegistryTest, AFailedOnDemandModelRecoversWhenItsPathIsFixed) {
  Start();
  ModelsConfig config;
  config.models = {Spec("m", root_ + "/missing", LoadPolicy::kOnDemand)};
  registry_->Apply(config);
  EXPECT_EQ(registry_->Find("m").status().code(),
            absl::StatusCode::kUnavailable);  // starts the load
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (Info("m").state() != v1::MODEL_STATE_FAILED && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(registry_->Find("m").status().code(),
            absl::StatusCode::kFailedPrecondition);
  config.models[0].path = Fixture();
  registry_->Apply(config);
  EXPECT_EQ(Info("m").state(), v1::MODEL_STATE_UNLOADED);
  absl::StatusOr<std::vector<int>> ids = Decode(*registry_, "m");
  while (absl::IsUnavailable(ids.status()) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
    ids = Decode(*registry_, "m");
  }
  EXPECT_TRUE(ids.ok()) << ids.status();
}

TEST_F(ModelRegistryTest, StopAnswersPendingAdministration) {
  Start();
  ModelsConfig config;
  config.models = {Spec("m", Fixture())};
  registry_->Apply(config);
  ASSERT_TRUE(registry_->WaitForStartupModels().ok());
  std::atomic<int> answers{0};
  for (int i = 0; i < 4; ++i) {
    v1::LoadModelRequest load;
    load.set_model("m");
    registry_->Load(load, [&](absl::StatusOr<v1::ModelInfo>) { ++answers; });
  }
  registry_->StopAccepting();
  EXPECT_TRUE(registry_->WaitUntilIdle(absl::Seconds(10)));
  registry_->Stop();
  EXPECT_EQ(answers, 4);
  EXPECT_EQ(registry_->Find("m").status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace glossa::server
