#include "server/http/http_status.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace glossa::server {
namespace {

TEST(HttpStatusTest, CanonicalCodesMapAsGooglesApiDesignGuide) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kCancelled), 499);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded), 504);
}

TEST(HttpStatusTest, LibreTranslateCodes) {
  EXPECT_EQ(LibreTranslateStatusFor(absl::StatusCode::kNotFound), 400);
  EXPECT_EQ(LibreTranslateStatusFor(absl::StatusCode::kUnauthenticated), 403);
  EXPECT_EQ(LibreTranslateStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(LibreTranslateStatusFor(absl::StatusCode::kInternal), 500);
}

TEST(HttpStatusTest, ErrorBodiesAreValidJsonWhateverTheMessage) {
  const auto body = nlohmann::json::parse(ErrorJson(
      absl::InvalidArgumentError("segments[0] \"\xff\" is not UTF-8")));
  EXPECT_EQ(body["error"]["code"], 400);
  EXPECT_EQ(body["error"]["status"], "INVALID_ARGUMENT");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("segments[0]"),
            std::string::npos);
  const auto libre = nlohmann::json::parse(
      LibreTranslateErrorJson(absl::InvalidArgumentError("no \"q\"")));
  EXPECT_EQ(libre["error"], "no \"q\"");
}

}  // namespace
}  // namespace glossa::server
