#ifndef GLOSSA_SERVER_REQUEST_PARSER_H_
#define GLOSSA_SERVER_REQUEST_PARSER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace glossa::server {

// Parses a serialized request into `message`.
//
// The service receives raw bytes instead of letting gRPC parse them, because
// a message that fails to parse in gRPC's callback API is answered with
// UNIMPLEMENTED and no message. The common cause is a `string` field holding
// invalid UTF-8, which protobuf rejects at parse time; here that becomes
// INVALID_ARGUMENT naming the field and the offending byte, e.g.
// "segments[1] is not valid UTF-8 (byte 0xFF at offset 3)".
absl::Status ParseRequest(absl::string_view bytes,
                          google::protobuf::Message* message);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUEST_PARSER_H_
