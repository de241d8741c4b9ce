// Bad model directories fail at load with the path and the reason.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/engine.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

namespace fs = std::filesystem;
using ::glossa::testing::FixtureDir;
using ::glossa::testing::MakeTempDir;
using ::glossa::testing::ReadFile;
using ::glossa::testing::WriteFile;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

class EngineLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir() + "/model";
    fs::copy(FixtureDir("tiny-swish"), dir_);
  }
  void TearDown() override { fs::remove_all(fs::path(dir_).parent_path()); }

  absl::Status Load() { return Engine::Load(dir_).status(); }

  void EditConfig(const std::function<void(json&)>& edit) {
    json config = json::parse(ReadFile(dir_ + "/config.json"));
    edit(config);
    WriteFile(dir_ + "/config.json", config.dump());
  }

  // Rewrites model.safetensors with `edit` applied to its header.
  void EditHeader(const std::function<void(json&)>& edit) {
    const std::string file = ReadFile(dir_ + "/model.safetensors");
    uint64_t size = 0;
    for (int i = 7; i >= 0; --i) size = (size << 8) | uint8_t(file[i]);
    json header = json::parse(file.substr(8, size));
    edit(header);
    WriteFile(
        dir_ + "/model.safetensors",
        glossa::testing::Safetensors(header.dump(), file.substr(8 + size)));
  }

  std::string dir_;
};

TEST_F(EngineLoadTest, LoadsTheFixture) { EXPECT_TRUE(Load().ok()) << Load(); }

TEST_F(EngineLoadTest, MissingFilesNameThePath) {
  for (const char* file : {"config.json", "model.safetensors", "vocab.json",
                           "source.spm", "target.spm"}) {
    const std::string path = dir_ + "/" + file;
    const std::string saved = ReadFile(path);
    fs::remove(path);
    const absl::Status status = Load();
    EXPECT_FALSE(status.ok()) << file;
    EXPECT_THAT(status.message(), HasSubstr(path)) << file;
    WriteFile(path, saved);
  }
}

TEST_F(EngineLoadTest, TruncatedSafetensors) {
  const std::string path = dir_ + "/model.safetensors";
  const std::string data = ReadFile(path);
  WriteFile(path, data.substr(0, data.size() / 2));
  EXPECT_THAT(Load().message(), AllOf(HasSubstr(path), HasSubstr("truncated")));
}

TEST_F(EngineLoadTest, GarbageSafetensors) {
  const std::string path = dir_ + "/model.safetensors";
  WriteFile(path, std::string(4096, 'x'));
  const absl::Status status = Load();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), AllOf(HasSubstr(path), HasSubstr("corrupt")));
}

TEST_F(EngineLoadTest, WrongShapeNamesTheTensor) {
  EditConfig([](json& c) { c["encoder_ffn_dim"] = 100; });
  EXPECT_THAT(Load().message(),
              AllOf(HasSubstr("model.encoder.layers.0.fc1.weight"),
                    HasSubstr("[100, 64]"), HasSubstr("model.safetensors")));
}

TEST_F(EngineLoadTest, MissingTensorIsNamed) {
  EditHeader([](json& h) { h.erase("model.decoder.layers.1.fc2.bias"); });
  EXPECT_THAT(Load().message(),
              AllOf(HasSubstr("model.decoder.layers.1.fc2.bias"),
                    HasSubstr("missing")));
}

TEST_F(EngineLoadTest, NonFiniteWeightsAreRefusedByName) {
  // 0xFF bytes over one tensor's data (an F32 NaN each), then random bytes
  // over the whole data region: both used to load and serve "eeee..." with
  // NaN scores.
  const std::string path = dir_ + "/model.safetensors";
  std::string file = ReadFile(path);
  uint64_t size = 0;
  for (int i = 7; i >= 0; --i) size = (size << 8) | uint8_t(file[i]);
  const json header = json::parse(file.substr(8, size));
  const json& offsets =
      header["model.decoder.layers.1.fc2.bias"]["data_offsets"];
  for (uint64_t i = offsets[0].get<uint64_t>(); i < offsets[1].get<uint64_t>();
       ++i) {
    file[8 + size + i] = '\xFF';
  }
  WriteFile(path, file);
  const absl::Status status = Load();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr(path),
                    HasSubstr("tensor 'model.decoder.layers.1.fc2.bias'"),
                    HasSubstr("nan"), HasSubstr("finite")));
  std::mt19937 random(3);
  for (size_t i = 8 + size; i < file.size(); ++i) {
    file[i] = static_cast<char>(random());
  }
  WriteFile(path, file);
  EXPECT_THAT(Load().message(), AllOf(HasSubstr(path), HasSubstr("finite")));
}

TEST_F(EngineLoadTest, VocabularySizeMismatch) {
  // The config disagrees with the weights...
  EditConfig([](json& c) {
    c["vocab_size"] = c["vocab_size"].get<int>() + 5;
    c["decoder_vocab_size"] = c["vocab_size"];
  });
  EXPECT_THAT(Load().message(), HasSubstr("model.shared.weight"));
}

TEST_F(EngineLoadTest, VocabJsonMismatch) {
  // ...or vocab.json disagrees with the config.
  json vocab = json::parse(ReadFile(dir_ + "/vocab.json"));
  vocab["extra-piece"] = static_cast<int>(vocab.size());
  WriteFile(dir_ + "/vocab.json", vocab.dump());
  EXPECT_THAT(Load().message(),
              AllOf(HasSubstr("vocab.json"), HasSubstr("vocab_size")));
}

TEST_F(EngineLoadTest, BadConfigNamesFileAndField) {
  EditConfig([](json& c) { c["decoder_layers"] = "two"; });
  EXPECT_THAT(Load().message(), AllOf(HasSubstr(dir_ + "/config.json"),
                                      HasSubstr("decoder_layers")));
  WriteFile(dir_ + "/config.json", "{ not json");
  EXPECT_THAT(Load().message(), HasSubstr("config.json"));
}

TEST_F(EngineLoadTest, CorruptSentencePieceModel) {
  WriteFile(dir_ + "/source.spm", "not a sentencepiece model");
  EXPECT_THAT(Load().message(), HasSubstr(dir_ + "/source.spm"));
}

}  // namespace
}  // namespace glossa::model
