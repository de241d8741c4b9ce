// Load behaviour against a model slow enough to catch work in flight:
// mid-stream cancel, deadlines, queue full, and the /metrics scrape.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;

// Polls `sample` until it equals `value`; true when it did within `timeout`.
bool WaitForMetric(const ServerProcess& server, const std::string& sample,
                   double value, absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (server.Metric(sample) == value) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

v1::TranslateRequest LongTranslate(int tokens) {
  v1::TranslateRequest request = TranslateRequestOf({"Ein kleiner Test."});
  request.mutable_options()->set_min_output_tokens(tokens);
  request.mutable_options()->set_max_output_tokens(tokens);
  return request;
}

v1::GenerateRequest LongGenerate(int tokens) {
  v1::GenerateRequest request;
  request.set_text("Ein kleiner Test.");
  request.set_min_new_tokens(tokens);
  request.set_max_new_tokens(tokens);
  return request;
}

class LoadTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    flags.push_back("--model=" + SlowModelDir());
    auto server = ServerProcess::Start(flags);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(LoadTest, MidStreamCancelBringsActiveRowsBackToZero) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto stub = server_->NewStub();
  grpc::ClientContext context;
  auto reader = stub->Generate(&context, LongGenerate(500));
  v1::GenerateResponse response;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(server_->Metric("glossa_active_rows"), 1);
  context.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitForMetric(*server_, "glossa_active_rows", 0))
      << server_->ScrapeMetrics().value_or("");
  EXPECT_TRUE(WaitForMetric(*server_,
                            "glossa_requests_total{code=\"CANCELLED\",frontend="
                            "\"grpc\",rpc=\"Generate\"}",
                            1));

  // A unary call cancelled by its client frees its rows too.
  grpc::ClientContext unary_context;
  v1::TranslateResponse ignored;
  std::thread call(
      [&] { stub->Translate(&unary_context, LongTranslate(500), &ignored); });
  ASSERT_TRUE(WaitForMetric(*server_, "glossa_active_rows", 1));
  unary_context.TryCancel();
  call.join();
  EXPECT_TRUE(WaitForMetric(*server_, "glossa_active_rows", 0));
}

TEST_F(LoadTest, DeadlinesDropTheWorkInTheQueueAndBetweenSteps) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_batch_size=1", "--max_beam_size=1"}));
  auto stub = server_->NewStub();
  // Running: the deadline passes between steps.
  v1::TranslateResponse response;
  const absl::Time start = absl::Now();
  auto context = ContextWithTimeout(absl::Milliseconds(300));
  EXPECT_EQ(stub->Translate(context.get(), LongTranslate(500), &response)
                .error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(WaitForMetric(*server_, "glossa_active_rows", 0));

  // Queued behind a long request (one row only): the deadline passes in
  // the queue and the request never runs.
  std::thread blocker([&] {
    v1::TranslateResponse ignored;
    auto long_context = ContextWithTimeout(absl::Seconds(60));
    stub->Translate(long_context.get(), LongTranslate(120), &ignored);
  });
  ASSERT_TRUE(WaitForMetric(*server_, "glossa_active_rows", 1));
  auto queued_context = ContextWithTimeout(absl::Milliseconds(200));
  EXPECT_EQ(stub->Translate(queued_context.get(), LongTranslate(5), &response)
                .error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(WaitForMetric(*server_, "glossa_queue_depth", 0));
  blocker.join();
  // gRPC cancels a call whose deadline passed; the server still counts
  // both as DEADLINE_EXCEEDED, never as CANCELLED.
  EXPECT_TRUE(WaitForMetric(*server_,
                            "glossa_requests_total{code=\"DEADLINE_EXCEEDED\","
                            "frontend=\"grpc\",rpc=\"Translate\"}",
                            2))
      << server_->ScrapeMetrics().value_or("");
  EXPECT_FALSE(server_
                   ->Metric("glossa_requests_total{code=\"CANCELLED\",frontend="
                            "\"grpc\",rpc=\"Translate\"}")
                   .has_value());
}

TEST_F(LoadTest, FullQueueAnswersResourceExhaustedAtOnce) {
  ASSERT_NO_FATAL_FAILURE(
      Start({"--max_batch_size=1", "--max_beam_size=1", "--max_queue_size=2"}));
  constexpr int kCalls = 8;
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<absl::Duration> latencies(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      auto stub = server_->NewStub();
      v1::TranslateResponse response;
      auto context = ContextWithTimeout(absl::Seconds(60));
      const absl::Time start = absl::Now();
      statuses[i] =
          stub->Translate(context.get(), LongTranslate(30), &response);
      latencies[i] = absl::Now() - start;
    });
  }
  for (std::thread& thread : threads) thread.join();
  int ok = 0, exhausted = 0;
  for (int i = 0; i < kCalls; ++i) {
    if (statuses[i].ok()) {
      ++ok;
    } else {
      EXPECT_EQ(statuses[i].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << statuses[i].error_message();
      EXPECT_THAT(statuses[i].error_message(), HasSubstr("queue is full"));
      EXPECT_LT(latencies[i], absl::Milliseconds(500));
      ++exhausted;
    }
  }
  EXPECT_GE(ok, 2);  // at least the two that fit in the queue
  EXPECT_GE(exhausted, 1);
  EXPECT_EQ(server_->Metric("glossa_requests_total{code=\"RESOURCE_EXHAUSTED\","
                            "frontend=\"grpc\",rpc="
                            "\"Translate\"}"),
            exhausted);
}

TEST_F(LoadTest, MetricsAreScrapedWithTheContractedNames) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto stub = server_->NewStub();
  v1::TranslateResponse response;
  auto context = ContextWithTimeout();
  ASSERT_TRUE(
      stub->Translate(context.get(), LongTranslate(10), &response).ok());
  auto generate_context = ContextWithTimeout();
  auto reader = stub->Generate(generate_context.get(), LongGenerate(10));
  v1::GenerateResponse message;
  while (reader->Read(&message)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  v1::ModelInfo info;
  auto info_context = ContextWithTimeout();
  ASSERT_TRUE(
      stub->GetModelInfo(info_context.get(), v1::GetModelInfoRequest(), &info)
          .ok());

  absl::StatusOr<std::string> text = server_->ScrapeMetrics();
  ASSERT_TRUE(text.ok()) << text.status();
  for (const char* name :
       {"glossa_requests_total{code=\"OK\",frontend=\"grpc\",model=\"random-"
        "base\",rpc=\"Translate\"} 1",
        "glossa_requests_total{code=\"OK\",frontend=\"grpc\",model=\"random-"
        "base\",rpc=\"Generate\"} 1",
        "glossa_requests_total{code=\"OK\",frontend=\"grpc\",model=\"random-"
        "base\",rpc=\"GetModelInfo\"} 1",
        "glossa_request_duration_seconds_bucket{frontend=\"grpc\",model="
        "\"random-base\",rpc=\"Translate\"",
        "glossa_request_duration_seconds_count{frontend=\"grpc\",model="
        "\"random-base\",rpc=\"Generate\"} 1",
        "glossa_queue_duration_seconds_bucket{model=\"random-base\",le=",
        "glossa_time_to_first_token_seconds_bucket{model=\"random-base\",le=",
        "glossa_inter_token_seconds_bucket{model=\"random-base\",le=",
        "glossa_step_rows_bucket{model=\"random-base\",le=",
        "glossa_step_tokens_bucket{model=\"random-base\",le=",
        "glossa_queue_depth{model=\"random-base\"} 0",
        "glossa_active_rows{model=\"random-base\"} 0",
        "glossa_input_tokens_total{model=\"random-base\"}",
        "glossa_output_tokens_total{model=\"random-base\"} 20",
        "glossa_model_load_seconds{model=\"random-base\"}",
        "glossa_model_loads_total{model=\"random-base\",outcome=\"ok\"} 1",
        "glossa_model_resident_bytes{model=\"random-base\"}",
        "glossa_model_available{model=\"random-base\"} 1",
        "glossa_build_info{compute_type=\"float32\",model=\"random-base\","
        "version=\""}) {
    EXPECT_THAT(*text, HasSubstr(name));
  }
  EXPECT_GT(server_->Metric("glossa_model_load_seconds").value_or(0), 0);
  // 8 gaps in each call's 9 streamed tokens (the warm-up is not counted).
  EXPECT_GE(server_->Metric("glossa_inter_token_seconds_count").value_or(0),
            16);
}

}  // namespace
}  // namespace glossa::testing
