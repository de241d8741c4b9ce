// Every row of the validation table (server/README.md) over a real channel:
// the code a client actually gets and a message naming field, value and
// what is allowed. A bad request batched beside good ones never harms them.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/integration/oracle.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;

class ValidationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = ServerProcess::Start(
        {"--max_segments=4", "--max_input_tokens=16", "--max_output_tokens=64",
         "--max_beam_size=4", "--max_message_bytes=65536"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() { delete server_; }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    stub_ = server_->NewStub();
  }

  grpc::Status Translate(const v1::TranslateRequest& request) {
    v1::TranslateResponse response;
    auto context = ContextWithTimeout();
    return stub_->Translate(context.get(), request, &response);
  }
  grpc::Status Generate(const v1::GenerateRequest& request) {
    auto context = ContextWithTimeout();
    auto reader = stub_->Generate(context.get(), request);
    v1::GenerateResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  }
  static v1::TranslateRequest WithOptions(
      const std::function<void(v1::TranslateOptions*)>& set) {
    v1::TranslateRequest request = TranslateRequestOf({"Hallo Welt"});
    set(request.mutable_options());
    return request;
  }

  static void Expect(const grpc::Status& status, grpc::StatusCode code,
                     std::vector<std::string> fragments) {
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    for (const std::string& fragment : fragments) {
      EXPECT_THAT(status.error_message(), HasSubstr(fragment));
    }
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

ServerProcess* ValidationTest::server_ = nullptr;

TEST_F(ValidationTest, EmptySegmentList) {
  Expect(Translate(TranslateRequestOf({})), grpc::StatusCode::INVALID_ARGUMENT,
         {"segments", "1 to 4", "got 0"});
}

TEST_F(ValidationTest, TooManySegments) {
  Expect(Translate(TranslateRequestOf({"a", "b", "c", "d", "e"})),
         grpc::StatusCode::INVALID_ARGUMENT, {"segments", "1 to 4", "got 5"});
}

TEST_F(ValidationTest, EmptyOrWhitespaceText) {
  // Translate: accepted, an empty translation in place.
  v1::TranslateResponse response;
  auto context = ContextWithTimeout();
  ASSERT_TRUE(
      stub_->Translate(context.get(), TranslateRequestOf({" ", ""}), &response)
          .ok());
  EXPECT_EQ(response.translations(0).hypotheses(0).text(), "");
  // Generate: nothing to generate from.
  v1::GenerateRequest request;
  request.set_text(" \n ");
  Expect(Generate(request), grpc::StatusCode::INVALID_ARGUMENT,
         {"text", "non-whitespace"});
}

TEST_F(ValidationTest, InvalidUtf8) {
  // The C++ protobuf serializer sends it (it only logs); the server answers
  // INVALID_ARGUMENT naming the segment, not the callback API's bare
  // UNIMPLEMENTED.
  Expect(Translate(TranslateRequestOf({"gut", "schl\xFF"})),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"segments[1]", "not valid UTF-8", "0xFF", "offset 4"});
  v1::GenerateRequest request;
  request.set_text("\xC3\x28");
  Expect(Generate(request), grpc::StatusCode::INVALID_ARGUMENT,
         {"text", "not valid UTF-8"});
}

TEST_F(ValidationTest, MalformedMessage) {
  grpc::GenericStub generic(server_->NewChannel());
  grpc::ClientContext context;
  const std::string garbage = "\x12\x7f";
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  generic.UnaryCall(&context, "/glossa.v1.Glossa/Translate",
                    grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = std::move(s);
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  Expect(status, grpc::StatusCode::INVALID_ARGUMENT,
         {"not a valid glossa.v1.TranslateRequest"});
}

TEST_F(ValidationTest, TextLongerThanMaxInputTokens) {
  Expect(Translate(TranslateRequestOf(
             {"kurz",
              "Das ist ein ziemlich langer Satz mit sehr vielen "
              "Wörtern, der die Grenze sicher überschreitet."})),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"segments[1]", "tokens long", "at most 16", "max_input_tokens"});
}

TEST_F(ValidationTest, BeamSizeBelowOneOrOverTheLimit) {
  Expect(Translate(WithOptions([](auto* o) { o->set_beam_size(0); })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.beam_size", "[1, 4]", "got 0"});
  Expect(Translate(WithOptions([](auto* o) { o->set_beam_size(5); })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.beam_size", "[1, 4]", "got 5"});
}

TEST_F(ValidationTest, NumHypothesesOverBeamSize) {
  Expect(Translate(WithOptions([](auto* o) {
           o->set_beam_size(2);
           o->set_num_hypotheses(3);
         })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.num_hypotheses", "[1, 2]", "got 3"});
}

TEST_F(ValidationTest, NegativeTemperature) {
  Expect(Translate(WithOptions(
             [](auto* o) { o->mutable_sampling()->set_temperature(-0.5f); })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.sampling.temperature", "(0, 100]", "got -0.5"});
}

TEST_F(ValidationTest, TopPOutsideZeroOne) {
  Expect(Translate(WithOptions(
             [](auto* o) { o->mutable_sampling()->set_top_p(1.5f); })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.sampling.top_p", "(0, 1]", "got 1.5"});
  v1::GenerateRequest request;
  request.set_text("Hallo");
  request.mutable_sampling()->set_top_p(0);
  Expect(Generate(request), grpc::StatusCode::INVALID_ARGUMENT,
         {"sampling.top_p", "(0, 1]", "got 0"});
}

TEST_F(ValidationTest, NegativeTopK) {
  Expect(
      Translate(
          WithOptions([](auto* o) { o->mutable_sampling()->set_top_k(-3); })),
      grpc::StatusCode::INVALID_ARGUMENT, {"options.sampling.top_k", "got -3"});
}

TEST_F(ValidationTest, MaxOutputTokensOutOfRange) {
  Expect(Translate(WithOptions([](auto* o) { o->set_max_output_tokens(0); })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.max_output_tokens", "[1, 64]", "got 0"});
  Expect(Translate(WithOptions([](auto* o) { o->set_max_output_tokens(65); })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.max_output_tokens", "[1, 64]", "got 65"});
  v1::GenerateRequest request;
  request.set_text("Hallo");
  request.set_max_new_tokens(-1);
  Expect(Generate(request), grpc::StatusCode::INVALID_ARGUMENT,
         {"max_new_tokens", "[1, 64]", "got -1"});
}

TEST_F(ValidationTest, MinOverMax) {
  Expect(Translate(WithOptions([](auto* o) {
           o->set_max_output_tokens(10);
           o->set_min_output_tokens(11);
         })),
         grpc::StatusCode::INVALID_ARGUMENT,
         {"options.min_output_tokens", "[0, 10]", "got 11"});
}

TEST_F(ValidationTest, UnknownModelName) {
  v1::TranslateRequest request = TranslateRequestOf({"Hallo"});
  request.set_model("fr-en");
  Expect(Translate(request), grpc::StatusCode::NOT_FOUND,
         {"\"fr-en\"", "tiny-swish"});
  v1::GenerateRequest generate;
  generate.set_text("Hallo");
  generate.set_model("fr-en");
  Expect(Generate(generate), grpc::StatusCode::NOT_FOUND, {"fr-en"});
}

TEST_F(ValidationTest, OversizedMessage) {
  // Refused by gRPC before the service sees it.
  Expect(Translate(TranslateRequestOf({std::string(70000, 'a')})),
         grpc::StatusCode::RESOURCE_EXHAUSTED, {"larger than max"});
}

TEST_F(ValidationTest, BadRequestsBesideGoodOnesNeverHarmThem) {
  std::shared_ptr<const model::Engine> oracle = LoadOracle(FixtureModelDir());
  ASSERT_NE(oracle, nullptr);
  const std::vector<std::string> texts = {"Ein kleiner Test.", "Guten Morgen!"};
  v1::TranslateRequest good = TranslateRequestOf(texts);
  good.mutable_options()->set_beam_size(2);
  good.mutable_options()->set_min_output_tokens(8);
  auto expected =
      oracle->Translate(texts, EngineOptions(good.options(), *oracle));
  ASSERT_TRUE(expected.ok());
  const std::vector<v1::TranslateRequest> bad = {
      TranslateRequestOf({"ok", "schl\xFF"}),
      WithOptions([](auto* o) { o->set_beam_size(99); }),
      TranslateRequestOf({}),
      TranslateRequestOf({std::string(200, 'x')}),
  };
  constexpr int kRounds = 6;
  std::vector<std::thread> threads;
  std::vector<v1::TranslateResponse> responses(kRounds);
  std::vector<grpc::Status> good_status(kRounds), bad_status(kRounds * 4);
  for (int r = 0; r < kRounds; ++r) {
    threads.emplace_back([&, r] {
      auto stub = server_->NewStub();
      auto context = ContextWithTimeout();
      good_status[r] = stub->Translate(context.get(), good, &responses[r]);
    });
    for (int b = 0; b < 4; ++b) {
      threads.emplace_back([&, r, b] {
        auto stub = server_->NewStub();
        v1::TranslateResponse ignored;
        auto context = ContextWithTimeout();
        bad_status[r * 4 + b] =
            stub->Translate(context.get(), bad[b], &ignored);
      });
    }
  }
  for (std::thread& thread : threads) thread.join();
  for (int r = 0; r < kRounds; ++r) {
    ASSERT_TRUE(good_status[r].ok()) << good_status[r].error_message();
    for (int i = 0; i < 2; ++i) {
      ExpectSameTranslation(responses[r].translations(i), (*expected)[i],
                            "round " + std::to_string(r));
    }
  }
  for (const grpc::Status& status : bad_status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

}  // namespace
}  // namespace glossa::testing
