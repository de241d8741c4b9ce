#ifndef GLOSSA_TESTS_MODEL_TEST_FILES_H_
#define GLOSSA_TESTS_MODEL_TEST_FILES_H_

// Small helpers for tests that write files: a fresh temporary directory and
// whole-file read/write.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace glossa::testing {

inline std::string MakeTempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "glossa_test_XXXXXX").string();
  return mkdtemp(pattern.data());
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A safetensors file from a JSON header and a raw data section.
inline std::string Safetensors(const std::string& header,
                               const std::string& data) {
  std::string out;
  uint64_t size = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(size >> (8 * i)));
  return out + header + data;
}

inline std::string FixtureDir(const std::string& name) {
  return std::string(GLOSSA_SOURCE_DIR) + "/tests/reference/fixtures/" + name;
}

}  // namespace glossa::testing

#endif  // GLOSSA_TESTS_MODEL_TEST_FILES_H_
