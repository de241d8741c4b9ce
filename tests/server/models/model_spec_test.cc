#include "server/models/model_spec.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ModelSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/glossa_models_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    ASSERT_EQ(system(absl::StrCat("rm -rf '", root_, "'").c_str()), 0);
  }

  std::string Path(const std::string& relative) const {
    return absl::StrCat(root_, "/", relative);
  }
  void Write(const std::string& relative, const std::string& text) const {
    const std::string path = Path(relative);
    ASSERT_EQ(
        system(absl::StrCat("mkdir -p \"$(dirname '", path, "')\"").c_str()),
        0);
    std::ofstream(path) << text;
  }
  // A folder that looks like a model (its config.json).
  void Model(const std::string& relative) const {
    Write(relative + "/config.json", "{}");
  }

  std::string root_;
};

TEST_F(ModelSpecTest, OneModelFromTheModelFlag) {
  ModelSources sources;
  sources.model_dir = Path("de-en/");
  SpecDefaults defaults;
  defaults.compute_type = "int8";
  absl::StatusOr<ModelsConfig> config = ReadModels(sources, defaults);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->models.size(), 1u);
  EXPECT_EQ(config->models[0].name, "de-en");
  EXPECT_EQ(config->models[0].compute_type, "int8");
  EXPECT_EQ(config->models[0].policy, LoadPolicy::kStartup);
  EXPECT_EQ(config->default_model, "de-en");
}

TEST_F(ModelSpecTest, RepositoryFoldersAreModelsAndTheHighestVersionServes) {
  Model("repo/de-en");
  Model("repo/en-de/1");
  Model("repo/en-de/2");
  Model("repo/en-de/10");
  Write("repo/en-de/11/README", "no config.json: not a version");
  Write("repo/en-de/glossa.json",
        R"({"compute_type": "int8", "aliases": ["eng-deu"],
            "load": "on_demand", "max_batch_size": 8})");
  Write("repo/.hidden/config.json", "{}");
  ModelSources sources;
  sources.repository = Path("repo");
  absl::StatusOr<ModelsConfig> config = ReadModels(sources, SpecDefaults{});
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->models.size(), 2u);
  const ModelSpec& de_en = config->models[0];
  EXPECT_EQ(de_en.name, "de-en");
  EXPECT_EQ(de_en.path, Path("repo/de-en"));
  EXPECT_EQ(de_en.version, "");
  const ModelSpec& en_de = config->models[1];
  EXPECT_EQ(en_de.path, Path("repo/en-de/10"));
  EXPECT_EQ(en_de.version, "10");
  EXPECT_EQ(en_de.compute_type, "int8");
  EXPECT_THAT(en_de.aliases, ElementsAre("eng-deu"));
  EXPECT_EQ(en_de.policy, LoadPolicy::kOnDemand);
  EXPECT_EQ(en_de.scheduler.max_batch_size, 8);
  // Two models and no default: requests must name one.
  EXPECT_EQ(config->default_model, "");
}

TEST_F(ModelSpecTest, ConfigFileEntriesWithPathsRelativeToTheFile) {
  Model("models/a");
  Model("models/b/3");
  Write("conf/models.json", R"({
    "default_model": "b-alias",
    "models": [
      {"name": "a", "path": "../models/a", "max_beam_size": 2},
      {"name": "b", "path": "../models/b", "aliases": ["b-alias"],
       "compute_type": "bfloat16"}
    ]})");
  ModelSources sources;
  sources.config_file = Path("conf/models.json");
  absl::StatusOr<ModelsConfig> config = ReadModels(sources, SpecDefaults{});
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->models.size(), 2u);
  EXPECT_EQ(config->models[0].path, Path("conf/../models/a"));
  EXPECT_EQ(config->models[0].limits.max_beam_size, 2);
  EXPECT_EQ(config->models[1].version, "3");
  EXPECT_EQ(config->models[1].compute_type, "bfloat16");
  EXPECT_EQ(config->default_model, "b");  // the alias names its model
}

TEST_F(ModelSpecTest, ConfigMistakesNameTheFileTheEntryAndTheProblem) {
  const auto error = [&](const std::string& text) {
    Write("bad.json", text);
    ModelSources sources;
    sources.config_file = Path("bad.json");
    absl::StatusOr<ModelsConfig> config = ReadModels(sources, SpecDefaults{});
    EXPECT_FALSE(config.ok());
    return std::string(config.status().message());
  };
  EXPECT_THAT(error("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(
      error(R"({"models": [{"name": "a", "path": "a", "max_batch": 2}]})"),
      HasSubstr("bad.json: models[0]: unknown setting \"max_batch\""));
  EXPECT_THAT(error(R"({"models": [{"name": "a b", "path": "a"}]})"),
              HasSubstr("needs a \"name\""));
  EXPECT_THAT(error(R"({"models": [{"name": "a"}]})"),
              HasSubstr("needs a \"path\""));
  EXPECT_THAT(error(R"({"models": [{"name": "a", "path": "a",
                                    "compute_type": "fp8"}]})"),
              HasSubstr("compute_type must be"));
  EXPECT_THAT(error(R"({"models": [{"name": "a", "path": "a",
                                    "load": "lazy"}]})"),
              HasSubstr("load must be \"startup\" or \"on_demand\""));
  EXPECT_THAT(error(R"({"models": [{"name": "a", "path": "a",
                                    "max_batch_size": 64,
                                    "max_batch_tokens": 64}]})"),
              HasSubstr("max_batch_tokens (64) must be > max_batch_size (64)"));
  EXPECT_THAT(error(R"({"models": [{"name": "a", "path": "a"},
                                   {"name": "a", "path": "b"}]})"),
              HasSubstr("\"a\" is used twice"));
  EXPECT_THAT(error(R"({"models": [{"name": "a", "path": "a"},
                                   {"name": "b", "path": "b",
                                    "aliases": ["a"]}]})"),
              HasSubstr("\"a\" is used by models \"a\" and \"b\""));
  EXPECT_THAT(error(R"({"default_model": "c",
                       "models": [{"name": "a", "path": "a"}]})"),
              HasSubstr("default model \"c\" is not among the models (a)"));
  EXPECT_THAT(error(R"({"model": []})"), HasSubstr("unknown key \"model\""));
}

TEST_F(ModelSpecTest, FingerprintChangesWithTheFiles) {
  Model("m");
  const std::string before = FingerprintDirectory(Path("m"));
  EXPECT_EQ(before.size(), 16u);
  EXPECT_EQ(FingerprintDirectory(Path("m")), before);
  Write("m/config.json", "{\"d_model\": 8}");
  EXPECT_NE(FingerprintDirectory(Path("m")), before);
}

TEST_F(ModelSpecTest, OnlyWhatTheLoadUsesNeedsAReload) {
  ModelSpec spec;
  spec.name = "a";
  spec.path = "/m/a";
  ModelSpec other = spec;
  other.aliases = {"b"};
  other.policy = LoadPolicy::kOnDemand;
  EXPECT_FALSE(spec.NeedsReload(other));
  other.limits.max_beam_size = 2;
  EXPECT_TRUE(spec.NeedsReload(other));
  other = spec;
  other.compute_type = "int8";
  EXPECT_TRUE(spec.NeedsReload(other));
  other = spec;
  other.version = "2";
  EXPECT_TRUE(spec.NeedsReload(other));
}

TEST(ModelNameTest, Names) {
  EXPECT_TRUE(IsValidModelName("opus-mt_de.en"));
  EXPECT_FALSE(IsValidModelName(""));
  EXPECT_FALSE(IsValidModelName("a/b"));
  EXPECT_FALSE(IsValidModelName(std::string(65, 'a')));
}

}  // namespace
}  // namespace glossa::server
