#include "model/io/safetensors_reader.h"

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/model/test_files.h"

namespace glossa::model {
namespace {

using ::glossa::testing::MakeTempDir;
using ::glossa::testing::Safetensors;
using ::glossa::testing::WriteFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Floats(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) out.append(reinterpret_cast<const char*>(&v), 4);
  return out;
}

class SafetensorsReaderTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& contents) {
    const std::string path = dir_ + "/model.safetensors";
    WriteFile(path, contents);
    return path;
  }
  std::string dir_ = MakeTempDir();
};

TEST_F(SafetensorsReaderTest, ReadsF32F16AndBF16) {
  const uint16_t half_one_and_half = 0x3e00;  // 1.5
  const uint16_t bf16_minus_two = 0xc000;     // -2.0
  std::string data = Floats({1.0f, 2.0f});
  data.append(reinterpret_cast<const char*>(&half_one_and_half), 2);
  data.append(reinterpret_cast<const char*>(&bf16_minus_two), 2);
  const std::string path = Write(
      Safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F16","shape":[1,1],"data_offsets":[8,10]},)"
                  R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]},)"
                  R"("__metadata__":{"format":"pt"}})",
                  data));
  auto reader = SafetensorsReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*(*reader)->ReadFloat("a", {2}), std::vector<float>({1.0f, 2.0f}));
  EXPECT_EQ(*(*reader)->ReadFloat("b", {1, 1}), std::vector<float>({1.5f}));
  EXPECT_EQ(*(*reader)->ReadFloat("c", {1}), std::vector<float>({-2.0f}));
}

TEST_F(SafetensorsReaderTest, WrongShapeNamesTensorAndShapes) {
  const std::string path = Write(
      Safetensors(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                  Floats({1, 2})));
  auto reader = SafetensorsReader::Open(path);
  ASSERT_TRUE(reader.ok());
  auto values = (*reader)->ReadFloat("w", {1, 2});
  EXPECT_EQ(values.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(values.status().message(),
              AllOf(HasSubstr("'w'"), HasSubstr("[2]"), HasSubstr("[1, 2]"),
                    HasSubstr(path)));
  auto missing = (*reader)->ReadFloat("absent", {1});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'absent'"));
}

struct CorruptCase {
  const char* name;
  std::string contents;
  const char* reason;
};

TEST_F(SafetensorsReaderTest, CorruptFilesFailWithPathAndReason) {
  const std::string good_header =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::vector<CorruptCase> cases = {
      {"too short", "abc", "shorter than the 8-byte"},
      {"header length past the end", Safetensors(good_header, "").substr(0, 20),
       "exceeds the file size"},
      {"truncated data", Safetensors(good_header, Floats({1})), "truncated"},
      {"not json", Safetensors("{not json", Floats({1, 2})),
       "not a JSON object"},
      {"unknown dtype",
       Safetensors(R"({"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                   Floats({1, 2})),
       "dtype 'I64'"},
      {"size mismatch",
       Safetensors(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                   Floats({1, 2})),
       "needs 12 bytes"},
      {"overlap",
       Safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                   R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                   Floats({1, 2})),
       "overlap"},
  };
  for (const CorruptCase& c : cases) {
    const std::string path = Write(c.contents);
    auto reader = SafetensorsReader::Open(path);
    ASSERT_FALSE(reader.ok()) << c.name;
    EXPECT_THAT(reader.status().message(),
                AllOf(HasSubstr(path), HasSubstr(c.reason)))
        << c.name;
  }
}

TEST_F(SafetensorsReaderTest, MissingFileIsNotFound) {
  auto reader = SafetensorsReader::Open(dir_ + "/nope.safetensors");
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(reader.status().message(), HasSubstr("nope.safetensors"));
}

}  // namespace
}  // namespace glossa::model
