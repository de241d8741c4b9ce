#ifndef GLOSSA_SERVER_GRPC_BUFFERS_H_
#define GLOSSA_SERVER_GRPC_BUFFERS_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace glossa::server {

// Parses a raw request (see request_parser.h for why the service parses
// requests itself). INVALID_ARGUMENT names what is wrong.
absl::Status ParseByteBuffer(const grpc::ByteBuffer& buffer,
                             google::protobuf::Message* message);

// Serializes a response into `buffer`.
void SerializeToByteBuffer(const google::protobuf::Message& message,
                           grpc::ByteBuffer* buffer);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_GRPC_BUFFERS_H_
