// The server applies the engine's rules, not copies of them: it refuses the
// model folder glossa-engine refuses, with the same message; it counts
// output tokens as the engine does (also when the length limit cuts the
// output with no end-of-sentence); blank and invalid text mean what they
// mean to the engine.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/engine.h"
#include "tests/integration/oracle.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

const std::vector<std::string> kSentences = {
    "Ein kleiner Test.", "Guten Morgen!",
    "Die Datei konnte nicht geöffnet werden, weil sie fehlt."};

// A copy of the fixture model with config.json and generation_config.json
// edited alike; removed with the object.
class EditedModel {
 public:
  explicit EditedModel(const std::function<void(json&)>& edit) {
    char pattern[] = "/tmp/glossa_rules_XXXXXX";
    root_ = mkdtemp(pattern);
    dir_ = root_ + "/model";
    fs::copy(FixtureModelDir(), dir_);
    for (const char* file : {"config.json", "generation_config.json"}) {
      const std::string path = dir_ + "/" + file;
      std::ifstream in(path);
      json config = json::parse(in);
      edit(config);
      std::ofstream(path) << config.dump();
    }
  }
  ~EditedModel() { fs::remove_all(root_); }
  const std::string& dir() const { return dir_; }

 private:
  std::string root_;
  std::string dir_;
};

TEST(EngineRulesTest, ServerRefusesTheModelFolderTheEngineRefuses) {
  // vocab.json puts </s> at 0; this config says 2. The weights alone load.
  const EditedModel model([](json& c) { c["eos_token_id"] = 2; });
  const absl::Status refused = model::Engine::Load(model.dir()).status();
  ASSERT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(refused.message());
  EXPECT_THAT(message, HasSubstr("eos_token_id 2"));

  auto [engine_rc, engine_output] =
      RunShell("echo Hallo | " + EngineBinary() +
               " translate --model=" + model.dir() + " 2>&1");
  EXPECT_EQ(engine_rc, 1);
  EXPECT_THAT(engine_output, HasSubstr(message));

  ServerProcess::Options options;
  options.flags = {"--model=" + model.dir()};
  options.wait_until_serving = false;
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->WaitForExit(absl::Seconds(60)), 1);
  EXPECT_THAT((*server)->Log(), HasSubstr(message));
}

// With forced_eos_token_id null, hitting max_output_tokens ends the output
// without an end-of-sentence step: output_tokens is the limit, as in the
// engine (it used to be reported one higher).
TEST(EngineRulesTest, OutputTokensAtTheLimitWithoutForcedEos) {
  const EditedModel model([](json& c) { c["forced_eos_token_id"] = nullptr; });
  auto oracle = LoadOracle(model.dir());
  ASSERT_NE(oracle, nullptr);
  ASSERT_EQ(oracle->config().forced_eos_token_id, -1);
  auto server = ServerProcess::Start({"--model=" + model.dir()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = (*server)->NewStub();

  int limited = 0;
  for (int beam : {1, 3}) {
    v1::TranslateRequest request = TranslateRequestOf(kSentences);
    request.mutable_options()->set_beam_size(beam);
    request.mutable_options()->set_max_output_tokens(4);
    v1::TranslateResponse response;
    auto context = ContextWithTimeout();
    ASSERT_TRUE(stub->Translate(context.get(), request, &response).ok());
    auto expected = oracle->Translate(
        kSentences, EngineOptions(request.options(), *oracle));
    ASSERT_TRUE(expected.ok()) << expected.status();
    int64_t total = 0;
    for (size_t i = 0; i < kSentences.size(); ++i) {
      SCOPED_TRACE(absl::StrCat("beam ", beam, ": ", kSentences[i]));
      ExpectSameTranslation(response.translations(i), (*expected)[i], "");
      const int tokens = response.translations(i).hypotheses(0).num_tokens();
      if (tokens == 4) {
        ++limited;
        EXPECT_EQ(response.translations(i).output_tokens(), 4);
      }
      total += response.translations(i).output_tokens();
    }
    EXPECT_EQ(response.usage().output_tokens(), total);
  }
  EXPECT_GT(limited, 0) << "no output reached the limit";

  // Generate streams the same greedy tokens and reports the same count.
  v1::GenerateRequest generate;
  generate.set_text(kSentences[2]);
  generate.set_max_new_tokens(4);
  auto context = ContextWithTimeout();
  auto reader = stub->Generate(context.get(), generate);
  v1::GenerateResponse message;
  int streamed = 0;
  v1::GenerateResult result;
  while (reader->Read(&message)) {
    if (message.has_token()) ++streamed;
    if (message.has_result()) result = message.result();
  }
  ASSERT_TRUE(reader->Finish().ok());
  model::DecodingOptions options = oracle->DefaultOptions();
  options.beam_size = 1;
  options.max_output_tokens = 4;
  auto expected = oracle->Translate({kSentences[2]}, options);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(result.usage().output_tokens(), (*expected)[0].output_tokens);
  EXPECT_EQ(streamed,
            static_cast<int>((*expected)[0].hypotheses[0].token_ids.size()));
}

TEST(EngineRulesTest, BlankAndInvalidTextMeanWhatTheyMeanToTheEngine) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = (*server)->NewStub();
  // No-break space and ideographic space: blank, so an empty translation
  // (the engine gives the same), not a decoded one.
  const std::string blank = "\xC2\xA0\xE3\x80\x80";
  v1::TranslateResponse response;
  auto context = ContextWithTimeout();
  ASSERT_TRUE(stub->Translate(context.get(),
                              TranslateRequestOf({blank, "Guten Morgen!"}),
                              &response)
                  .ok());
  EXPECT_EQ(response.translations(0).hypotheses(0).text(), "");
  EXPECT_EQ(response.translations(0).output_tokens(), 0);
  EXPECT_GT(response.translations(1).output_tokens(), 0);
  auto oracle = LoadOracle(FixtureModelDir());
  ASSERT_NE(oracle, nullptr);
  auto source = oracle->CheckSource("segments[0]", blank, 64);
  ASSERT_TRUE(source.ok());
  EXPECT_TRUE(source->blank);

  v1::GenerateRequest generate;
  generate.set_text(blank);
  auto generate_context = ContextWithTimeout();
  auto reader = stub->Generate(generate_context.get(), generate);
  v1::GenerateResponse ignored;
  while (reader->Read(&ignored)) {
  }
  const grpc::Status refused = reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("non-whitespace"));
}

}  // namespace
}  // namespace glossa::testing
