#include "server/metrics/metrics.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::server {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, ExposesTheContractedNames) {
  auto metrics = Metrics::Create("");
  ASSERT_TRUE(metrics.ok());
  Metrics& server = **metrics;
  server.RecordRequest("grpc", "Translate", "de-en", absl::StatusCode::kOk,
                       absl::Milliseconds(12));
  server.RecordRequest("http", "Generate", "",
                       absl::StatusCode::kInvalidArgument,
                       absl::Milliseconds(1));
  std::unique_ptr<Metrics> model = server.ForModel("de-en");
  Metrics& m = *model;
  m.ObserveQueueTime(absl::Milliseconds(1));
  m.ObserveTimeToFirstToken(absl::Milliseconds(5));
  m.ObserveInterToken(absl::Milliseconds(2));
  m.ObserveStepRows(3);
  m.ObserveStepTokens(40);
  m.SetQueueDepth(2);
  m.SetActiveRows(3);
  m.AddInputTokens(10);
  m.AddOutputTokens(7);
  m.SetModelLoadSeconds(0.5);
  m.CountModelLoad(true);
  m.CountModelLoad(false);
  m.SetModelResidentBytes(1 << 20);
  m.SetModelAvailable(true);
  server.SetBuildInfo("0.1.0", "float32", "de-en");
  // One registry: the server's object renders every model's series.
  const std::string text = server.Render();
  EXPECT_EQ(m.Render(), text);
  for (const char* expected : {
           "glossa_requests_total{code=\"OK\",frontend=\"grpc\",model=\"de-"
           "en\",rpc=\"Translate\"} 1",
           "glossa_requests_total{code=\"INVALID_ARGUMENT\",frontend=\"http\","
           "model=\"\",rpc=\"Generate\"} 1",
           "glossa_request_duration_seconds_bucket{frontend=\"grpc\",model="
           "\"de-"
           "en\",rpc=\"Translate\"",
           "glossa_queue_duration_seconds_count{model=\"de-en\"} 1",
           "glossa_time_to_first_token_seconds_count{model=\"de-en\"} 1",
           "glossa_inter_token_seconds_count{model=\"de-en\"} 1",
           "glossa_step_rows_count{model=\"de-en\"} 1",
           "glossa_step_tokens_sum{model=\"de-en\"} 40",
           "glossa_queue_depth{model=\"de-en\"} 2",
           "glossa_active_rows{model=\"de-en\"} 3",
           "glossa_input_tokens_total{model=\"de-en\"} 10",
           "glossa_output_tokens_total{model=\"de-en\"} 7",
           "glossa_model_load_seconds{model=\"de-en\"} 0.5",
           "glossa_model_loads_total{model=\"de-en\",outcome=\"ok\"} 1",
           "glossa_model_loads_total{model=\"de-en\",outcome=\"failed\"} 1",
           "glossa_model_resident_bytes{model=\"de-en\"} 1048576",
           "glossa_model_available{model=\"de-en\"} 1",
           "glossa_build_info{compute_type=\"float32\",model=\"de-en\","
           "version=\"0.1.0\"} 1",
       }) {
    EXPECT_THAT(text, HasSubstr(expected));
  }
  EXPECT_EQ(m.port(), 0);
}

TEST(MetricsTest, ServesOnAFreePort) {
  auto metrics = Metrics::Create("127.0.0.1:0");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GT((*metrics)->port(), 0);
}

TEST(MetricsTest, CodeLabelsAreGrpcNames) {
  auto metrics = Metrics::Create("");
  ASSERT_TRUE(metrics.ok());
  for (absl::StatusCode code : {absl::StatusCode::kResourceExhausted,
                                absl::StatusCode::kDeadlineExceeded,
                                absl::StatusCode::kUnauthenticated}) {
    (*metrics)->RecordRequest("grpc", "Translate", "de-en", code,
                              absl::Milliseconds(1));
  }
  const std::string text = (*metrics)->Render();
  for (const char* name :
       {"RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "UNAUTHENTICATED"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("code=\"", name, "\"")));
  }
}

}  // namespace
}  // namespace glossa::server
