// Untrusted HTTP bodies through the HTTP front-end's own parser: the proto3
// JSON mapping of a TranslateRequest or GenerateRequest (first byte even /
// odd). HTML bodies (LibreTranslate's format=html, TranslateDocument) go
// through the document library, which document_fuzzer covers.
#include <cstdint>

#include "glossa/v1/glossa.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "server/http/http_request.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glossa;
  if (size == 0) return 0;
  const absl::string_view body(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  if (data[0] % 2 == 0) {
    v1::TranslateRequest request;
    (void)server::ParseJsonBody(body, &request);
  } else {
    v1::GenerateRequest request;
    (void)server::ParseJsonBody(body, &request);
  }
  return 0;
}
