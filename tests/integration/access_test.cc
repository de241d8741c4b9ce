// API keys over a real channel: who may call, per-key quotas, per-key
// metrics, reload on SIGHUP; health stays open.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/glossa_keys_XXXXXX";
    const int fd = mkstemp(pattern);
    ASSERT_GE(fd, 0);
    close(fd);
    keys_file_ = pattern;
    WriteKeys(
        "# test keys\n"
        "alice k-alice\n"
        "limited k-limited requests_per_minute=2\n");
  }
  void TearDown() override { std::remove(keys_file_.c_str()); }

  void WriteKeys(const std::string& text) { std::ofstream(keys_file_) << text; }
  void Start() {
    auto server = ServerProcess::Start({"--api_keys_file=" + keys_file_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = server_->NewStub();
  }

  grpc::Status Translate(const std::string& key) {
    auto context = ContextWithTimeout();
    if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
    v1::TranslateResponse response;
    return stub_->Translate(context.get(),
                            TranslateRequestOf({"Guten Morgen!"}), &response);
  }

  std::string keys_file_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

TEST_F(AccessTest, EveryRpcNeedsAValidKeyButHealthStaysOpen) {
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(server_->Health(), "SERVING");  // no key needed
  const grpc::Status none = Translate("");
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("authorization: Bearer <key>"));
  EXPECT_EQ(Translate("k-wrong").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Translate("k-alice").ok());

  auto info_context = ContextWithTimeout();
  v1::ModelInfo info;
  EXPECT_EQ(stub_->GetModelInfo(info_context.get(), {}, &info).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto list_context = ContextWithTimeout();
  list_context->AddMetadata("authorization", "Bearer k-alice");
  v1::ListModelsResponse models;
  EXPECT_TRUE(stub_->ListModels(list_context.get(), {}, &models).ok());
  auto generate_context = ContextWithTimeout();
  v1::GenerateRequest generate;
  generate.set_text("Hallo");
  auto reader = stub_->Generate(generate_context.get(), generate);
  v1::GenerateResponse ignored;
  while (reader->Read(&ignored)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Counted per key (names, never keys) and in the totals.
  EXPECT_EQ(
      server_->Metric("glossa_key_requests_total{code=\"OK\",key=\"alice\"}"),
      2);
  EXPECT_GT(
      server_->Metric("glossa_key_tokens_total{key=\"alice\"}").value_or(0), 0);
  EXPECT_EQ(server_->Metric("glossa_requests_total{code=\"UNAUTHENTICATED\","
                            "frontend=\"grpc\",rpc=\"Translate\"}"),
            2);
  EXPECT_THAT(server_->ScrapeMetrics().value_or(""),
              ::testing::Not(HasSubstr("k-alice")));
}

TEST_F(AccessTest, AKeyOverItsQuotaIsToldWhenToRetry) {
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_TRUE(Translate("k-limited").ok());
  EXPECT_TRUE(Translate("k-limited").ok());
  const grpc::Status over = Translate("k-limited");
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over.error_message(),
              HasSubstr("'limited' has used its 2 requests per minute; "
                        "retry in"));
  EXPECT_TRUE(Translate("k-alice").ok());  // other keys go on
  // The command-line client sends its key from the environment.
  const std::string glossa = ClientBinary() + " --server=" + server_->address();
  auto [denied_rc, denied] = RunShell(glossa + " translate Hallo 2>&1");
  EXPECT_EQ(denied_rc, 1);
  EXPECT_THAT(denied, HasSubstr("UNAUTHENTICATED"));
  auto [rc, translated] =
      RunShell("GLOSSA_API_KEY=k-alice " + glossa + " translate Hallo");
  EXPECT_EQ(rc, 0) << translated;
  EXPECT_EQ(server_->Metric("glossa_key_requests_total{code="
                            "\"RESOURCE_EXHAUSTED\",key=\"limited\"}"),
            1);
}

TEST_F(AccessTest, SighupReloadsTheKeysAndABadFileKeepsTheOldOnes) {
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Translate("k-carol").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  WriteKeys("alice k-alice\ncarol k-carol\n");
  server_->Signal(SIGHUP);
  bool reloaded = false;
  for (int i = 0; i < 100 && !reloaded; ++i) {
    reloaded = Translate("k-carol").ok();
    if (!reloaded) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(reloaded) << server_->Log();
  EXPECT_THAT(server_->Log(), HasSubstr("reloaded 2 API keys"));
  EXPECT_EQ(Translate("k-limited").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // removed

  WriteKeys("carol\n");  // broken
  server_->Signal(SIGHUP);
  for (int i = 0; i < 100 && server_->Log().find("kept") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(server_->Log(), HasSubstr("kept the API keys in force"));
  EXPECT_THAT(server_->Log(), HasSubstr(keys_file_ + ":1"));
  EXPECT_TRUE(Translate("k-carol").ok());
  EXPECT_EQ(server_->Health(), "SERVING");
}

TEST_F(AccessTest, ABadKeysFileStopsTheServerAtStart) {
  WriteKeys("alice k-alice\nbob\n");
  auto [rc, output] =
      RunShell(ServerBinary() + " --model=" + FixtureModelDir() +
               " --port=0 --metrics_port=-1 --http_port=-1 --api_keys_file=" +
               keys_file_ + " 2>&1");
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(output, HasSubstr(keys_file_ + ":2: expected"));
  auto [missing_rc, missing] =
      RunShell(ServerBinary() +
               " --port=0 --metrics_port=-1 --http_port=-1 "
               "--api_keys_file=/nonexistent/keys 2>&1");
  EXPECT_EQ(missing_rc, 1);
  EXPECT_THAT(missing, HasSubstr("--api_keys_file: cannot read /nonexistent"));
}

}  // namespace
}  // namespace glossa::testing
