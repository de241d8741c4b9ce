// Untrusted HTTP bodies through the HTTP front-end's own parsers: the
// proto3 JSON mapping of a TranslateRequest or GenerateRequest (first byte
// even / odd), and LibreTranslate's format=html text splitter, whose pieces
// must put the document back together without losing a byte.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "glossa/v1/glossa.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "server/http/html_text.h"
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
  // Markup as written plus text as decoded is the decoded document.
  std::string rebuilt;
  for (const server::HtmlPiece& piece : server::SplitHtml(body)) {
    absl::StrAppend(&rebuilt, piece.leading_space, piece.value,
                    piece.trailing_space);
    if (piece.is_text) (void)server::EscapeHtmlText(piece.value);
  }
  if (rebuilt.size() > body.size() * 4 + 16) std::abort();
  return 0;
}
