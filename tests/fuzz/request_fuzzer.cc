// Untrusted request bytes through the server's request path: raw-bytes
// parsing (the service parses requests itself), then validation into engine
// requests. The first byte picks the message: Translate or Generate.
#include <cstdint>
#include <string>

#include "glossa/v1/glossa.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "server/requests/request_validator.h"
#include "server/rpc/request_parser.h"
#include "tests/server/fake_engine.h"

namespace glossa::server {
namespace {

const RequestValidator& Validator() {
  static const RequestValidator* validator = [] {
    RequestLimits limits;
    limits.max_segments = 8;
    limits.max_input_tokens = 48;
    limits.max_output_tokens = 32;
    return new RequestValidator(testing::FakeEngine(), limits, "fuzz");
  }();
  return *validator;
}

}  // namespace
}  // namespace glossa::server

// libprotobuf writes a line per invalid-UTF-8 string it parses; a fuzzer
// makes millions of those.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glossa;
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  if (data[0] % 2 == 0) {
    v1::TranslateRequest request;
    if (server::ParseRequest(bytes, &request).ok()) {
      (void)server::Validator().ValidateTranslate(request);
    }
  } else {
    v1::GenerateRequest request;
    if (server::ParseRequest(bytes, &request).ok()) {
      (void)server::Validator().ValidateGenerate(request);
    }
  }
  return 0;
}
