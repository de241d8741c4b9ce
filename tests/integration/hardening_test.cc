// What an outside tester broke, over a real channel: echoed values are
// bounded, over-long input is refused by its size, the queue gauge settles
// at 0, tiny temperatures sample like greedy, non-finite weights refuse to
// load and non-finite scores fail the request instead of returning text.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/oracle.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

class HardeningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = ServerProcess::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    stub_ = server_->NewStub();
  }

  grpc::Status Translate(const v1::TranslateRequest& request,
                         v1::TranslateResponse* response) {
    auto context = ContextWithTimeout();
    return stub_->Translate(context.get(), request, response);
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

ServerProcess* HardeningTest::server_ = nullptr;

TEST_F(HardeningTest, AnEchoedModelNameIsCutShort) {
  // A 100 KB name used to come back whole (and past 8 KB as a transport
  // error instead of NOT_FOUND).
  v1::TranslateRequest request = TranslateRequestOf({"Hallo"});
  request.set_model(std::string(100000, 'x'));
  v1::TranslateResponse response;
  const grpc::Status status = Translate(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LT(status.error_message().size(), 200u) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("(100000 bytes)"));
  v1::ModelInfo info;
  v1::GetModelInfoRequest info_request;
  info_request.set_model(std::string(50000, 'y'));
  auto context = ContextWithTimeout();
  const grpc::Status info_status =
      stub_->GetModelInfo(context.get(), info_request, &info);
  EXPECT_EQ(info_status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LT(info_status.error_message().size(), 200u);
}

TEST_F(HardeningTest, AHugeSegmentIsRefusedByItsSizeBeforeTokenizing) {
  std::string huge;
  while (huge.size() < (3u << 20)) huge += "Wort ";
  v1::TranslateResponse response;
  const grpc::Status status =
      Translate(TranslateRequestOf({"Hallo", huge}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The byte bound answered, not the token count: nothing was tokenized.
  EXPECT_THAT(status.error_message(),
              HasSubstr("segments[1] is 3145730 bytes long"));
  // The server is as it was.
  EXPECT_TRUE(Translate(TranslateRequestOf({"Hallo"}), &response).ok());
}

TEST_F(HardeningTest, QueueDepthIsZeroOnceRequestsAreAnswered) {
  // The gauge used to be written after the scheduler had dequeued the task,
  // leaving 1 on an idle server after ~4 requests in 10.
  for (int i = 0; i < 40; ++i) {
    v1::TranslateResponse response;
    ASSERT_TRUE(
        Translate(TranslateRequestOf({"Guten Morgen!"}), &response).ok());
    ASSERT_EQ(server_->Metric("glossa_queue_depth"), 0)
        << "after request " << i;
  }
}

TEST_F(HardeningTest, InvalidRequestsCannotFillTheLog) {
  // Each invalid-UTF-8 request used to write a libprotobuf ERROR line.
  // (The C++ serializer sends such strings; it only logs, here.)
  const auto lines = [] {
    const std::string log = server_->Log();
    size_t count = 0;
    for (size_t at = log.find("invalid UTF-8"); at != std::string::npos;
         at = log.find("invalid UTF-8", at + 1)) {
      ++count;
    }
    return count;
  };
  const size_t before = lines();
  for (int i = 0; i < 100; ++i) {
    v1::TranslateResponse response;
    ASSERT_EQ(
        Translate(TranslateRequestOf({"schl\xFF"}), &response).error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_LE(lines() - before, 21u) << server_->Log().substr(0, 2000);
  EXPECT_GE(server_->Metric("glossa_log_lines_total{source=\"protobuf\"}")
                .value_or(0),
            100);
  EXPECT_GE(server_
                ->Metric("glossa_log_lines_suppressed_total{source="
                         "\"protobuf\"}")
                .value_or(0),
            79);
}

TEST_F(HardeningTest, CallsRefusedByTheTransportAreCounted) {
  // A gzip bomb (6 MB of one letter, a few KB on the wire) inflates past
  // --max_message_bytes: gRPC refuses it before the service runs, so
  // glossa_requests_total never saw these calls. gRPC's own counters do.
  const double started_before =
      server_->Metric("glossa_grpc_calls_total{result=\"started\"}")
          .value_or(-1);
  ASSERT_GE(started_before, 0) << "no glossa_grpc_calls_total";
  const auto answered = [] {
    return server_->Metric("glossa_grpc_calls_total{result=\"succeeded\"}")
               .value_or(0) +
           server_->Metric("glossa_grpc_calls_total{result=\"failed\"}")
               .value_or(0);
  };
  const double answered_before = answered();
  const v1::TranslateRequest bomb =
      TranslateRequestOf({std::string(6 << 20, 'a')});
  for (int i = 0; i < 10; ++i) {
    auto context = ContextWithTimeout();
    context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    v1::TranslateResponse response;
    EXPECT_EQ(stub_->Translate(context.get(), bomb, &response).error_code(),
              grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  v1::TranslateResponse response;
  ASSERT_TRUE(Translate(TranslateRequestOf({"Hallo"}), &response).ok());
  const double started =
      server_->Metric("glossa_grpc_calls_total{result=\"started\"}")
          .value_or(0);
  // Ten bombs and one translation started; only the translation (and any
  // health check of the harness) was answered.
  EXPECT_GE(started - started_before, 11);
  EXPECT_LE(answered() - answered_before, started - started_before - 10);
}

TEST_F(HardeningTest, AnOversizedHeaderFailsOnlyItsOwnCall) {
  // A 40 KB header used to exceed gRPC's transport limit, which closes the
  // connection and fails every call on it. Now the service refuses it (over
  // --max_metadata_bytes, 16 KiB) and the connection stays up.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  context.AddMetadata("x-big", std::string(40000, 'v'));
  v1::TranslateResponse response;
  const grpc::Status big =
      stub_->Translate(&context, TranslateRequestOf({"Hallo"}), &response);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(big.error_message(), HasSubstr("--max_metadata_bytes"));
  // 12 KB (over gRPC's 8 KiB default, under the server's limit) is fine.
  auto fits = ContextWithTimeout();
  fits->AddMetadata("x-fits", std::string(12000, 'v'));
  const grpc::Status fitting =
      stub_->Translate(fits.get(), TranslateRequestOf({"Hallo"}), &response);
  EXPECT_TRUE(fitting.ok()) << fitting.error_message();
  EXPECT_TRUE(Translate(TranslateRequestOf({"Hallo"}), &response).ok());
}

TEST_F(HardeningTest, TinyTemperaturesSampleTheMostLikelyToken) {
  // 1e-40 used to overflow the scaled logits: every step emitted the pad
  // token with logprob -inf and the text came back empty, "EOS".
  v1::TranslateRequest greedy = TranslateRequestOf({"Ein kleiner Test."});
  greedy.mutable_options()->set_beam_size(1);
  v1::TranslateResponse expected;
  ASSERT_TRUE(Translate(greedy, &expected).ok());
  ASSERT_FALSE(expected.translations(0).hypotheses(0).text().empty());
  for (float temperature : {1e-40f, 1e-20f}) {
    v1::TranslateRequest request = TranslateRequestOf({"Ein kleiner Test."});
    request.mutable_options()->mutable_sampling()->set_temperature(temperature);
    request.mutable_options()->mutable_sampling()->set_seed(5);
    v1::TranslateResponse response;
    ASSERT_TRUE(Translate(request, &response).ok());
    EXPECT_EQ(response.translations(0).hypotheses(0).text(),
              expected.translations(0).hypotheses(0).text())
        << temperature;
  }
}

// A copy of the fixture model whose weights file the test may rewrite.
class ModelCopy {
 public:
  ModelCopy() {
    char pattern[] = "/tmp/glossa_hardening_XXXXXX";
    root_ = mkdtemp(pattern);
    dir_ = root_ + "/model";
    fs::copy(FixtureModelDir(), dir_);
  }
  ~ModelCopy() { fs::remove_all(root_); }
  const std::string& dir() const { return dir_; }
  std::string weights() const { return dir_ + "/model.safetensors"; }

  // Applies `edit` to the float32 values of tensor `name`.
  void EditTensor(const std::string& name,
                  const std::function<void(float*, size_t)>& edit) {
    Read();
    ASSERT_EQ(header_[name]["dtype"], "F32");
    const uint64_t begin = header_[name]["data_offsets"][0];
    const uint64_t end = header_[name]["data_offsets"][1];
    std::vector<float> values((end - begin) / 4);
    std::memcpy(values.data(), &data_[begin], end - begin);
    edit(values.data(), values.size());
    std::memcpy(&data_[begin], values.data(), end - begin);
    Write();
  }

  // Adds tensor `name` as a copy of `from`.
  void CopyTensor(const std::string& from, const std::string& name) {
    Read();
    const uint64_t begin = header_[from]["data_offsets"][0];
    const uint64_t end = header_[from]["data_offsets"][1];
    json entry = header_[from];
    entry["data_offsets"] = {data_.size(), data_.size() + (end - begin)};
    data_ += data_.substr(begin, end - begin);
    header_[name] = entry;
    Write();
  }

  void EditConfig(const std::function<void(json&)>& edit) {
    std::ifstream in(dir_ + "/config.json");
    json config = json::parse(in);
    edit(config);
    std::ofstream(dir_ + "/config.json") << config.dump();
  }

 private:
  void Read() {
    std::ifstream in(weights(), std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string file = buffer.str();
    uint64_t size = 0;
    for (int i = 7; i >= 0; --i) size = (size << 8) | uint8_t(file[i]);
    header_ = json::parse(file.substr(8, size));
    data_ = file.substr(8 + size);
  }
  void Write() {
    const std::string header = header_.dump();
    std::string file;
    for (int i = 0; i < 8; ++i) {
      file.push_back(static_cast<char>(uint64_t{header.size()} >> (8 * i)));
    }
    std::ofstream(weights(), std::ios::binary) << file << header << data_;
  }

  json header_;
  std::string data_;

  std::string root_;
  std::string dir_;
};

TEST(HardeningModelTest, NonFiniteWeightsAreRefusedAtStart) {
  ModelCopy model;
  model.EditTensor("model.encoder.layers.0.fc1.weight", [](float* v, size_t n) {
    for (size_t i = 0; i < n; i += 7) v[i] = std::nanf("");
  });
  ServerProcess::Options options;
  options.flags = {"--model=" + model.dir()};
  options.wait_until_serving = false;
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->WaitForExit(absl::Seconds(60)), 1);
  EXPECT_THAT((*server)->Log(), HasSubstr(model.weights()));
  EXPECT_THAT(
      (*server)->Log(),
      HasSubstr("tensor 'model.encoder.layers.0.fc1.weight' holds nan"));
}

TEST(HardeningModelTest, NonFiniteScoresFailTheRequestWithInternal) {
  // One token's encoder embedding made huge (finite, so the file loads; the
  // decoder and the output layer keep their own copies): a source holding
  // it overflows the encoder's attention scores, and every score decoded
  // from it is NaN. The warm-up sentence does not hold it, so the server
  // starts; a request with it must fail with INTERNAL instead of returning
  // text, and requests without it are still answered.
  auto oracle = LoadOracle(FixtureModelDir());
  ASSERT_NE(oracle, nullptr);
  auto warm = oracle->CheckSource("", "This is a short sentence to warm up.",
                                  oracle->max_input_tokens());
  ASSERT_TRUE(warm.ok());
  const std::string word = "Wasser";
  auto ids = oracle->CheckSource("", word, oracle->max_input_tokens());
  ASSERT_TRUE(ids.ok());
  int token = -1;
  for (int id : ids->ids) {
    if (id != oracle->config().eos_token_id &&
        std::find(warm->ids.begin(), warm->ids.end(), id) == warm->ids.end()) {
      token = id;
    }
  }
  ASSERT_GE(token, 0) << "every piece of the word is in the warm-up text";
  const int d = oracle->config().d_model;
  ModelCopy model;
  model.CopyTensor("model.shared.weight", "model.decoder.embed_tokens.weight");
  model.CopyTensor("model.shared.weight", "lm_head.weight");
  model.EditConfig(
      [](json& c) { c["share_encoder_decoder_embeddings"] = false; });
  model.EditTensor("model.shared.weight", [&](float* v, size_t n) {
    for (int j = 0; j < d; ++j) {
      float& x = v[static_cast<size_t>(token) * d + j];
      x = std::copysign(1e35f, x);
    }
  });
  auto server = ServerProcess::Start({"--model=" + model.dir()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = (*server)->NewStub();
  for (int beam : {1, 2}) {
    v1::TranslateRequest request = TranslateRequestOf({"Ja", word});
    request.mutable_options()->set_beam_size(beam);
    v1::TranslateResponse response;
    auto context = ContextWithTimeout();
    const grpc::Status status =
        stub->Translate(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL) << beam;
    EXPECT_THAT(status.error_message(), HasSubstr("non-finite"));
    EXPECT_EQ(response.translations_size(), 0);
  }
  v1::GenerateRequest generate;
  generate.set_text(word);
  auto context = ContextWithTimeout();
  auto reader = stub->Generate(context.get(), generate);
  v1::GenerateResponse message;
  int results = 0;
  while (reader->Read(&message)) results += message.has_result() ? 1 : 0;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(results, 0);
  v1::TranslateResponse response;
  auto other = ContextWithTimeout();
  EXPECT_TRUE(stub->Translate(other.get(),
                              TranslateRequestOf({"This is a short sentence"}),
                              &response)
                  .ok());
}

}  // namespace
}  // namespace glossa::testing
