#include "server/rpc/request_parser.h"

#include <string>

#include "glossa/v1/glossa.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::server {
namespace {

using ::testing::HasSubstr;

// protobuf's C++ serializer writes invalid UTF-8 (it only logs), which is
// exactly what a careless C++ client sends.
std::string SerializedTranslate(std::vector<std::string> segments) {
  v1::TranslateRequest request;
  for (const std::string& segment : segments) request.add_segments(segment);
  return request.SerializeAsString();
}

TEST(RequestParserTest, ParsesValidRequests) {
  v1::TranslateRequest request;
  ASSERT_TRUE(ParseRequest(SerializedTranslate({"a", "b"}), &request).ok());
  EXPECT_EQ(request.segments_size(), 2);
}

TEST(RequestParserTest, NamesTheSegmentWithInvalidUtf8) {
  v1::TranslateRequest request;
  const absl::Status status =
      ParseRequest(SerializedTranslate({"ok", "fine", "bad\xFF"}), &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("segments[2] is not valid UTF-8 (byte 0xFF at "
                        "offset 3)"));
}

TEST(RequestParserTest, NamesNestedAndRepeatedFields) {
  v1::GenerateRequest generate;
  generate.set_text("fine");
  generate.add_stop("x");
  generate.add_stop("\xC3");
  v1::GenerateRequest parsed;
  const absl::Status status =
      ParseRequest(generate.SerializeAsString(), &parsed);
  EXPECT_THAT(std::string(status.message()), HasSubstr("stop[1]"));
}

TEST(RequestParserTest, MalformedBytes) {
  v1::TranslateRequest request;
  const absl::Status status = ParseRequest("\x12\x7f", &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("not a valid glossa.v1.TranslateRequest"));
}

}  // namespace
}  // namespace glossa::server
