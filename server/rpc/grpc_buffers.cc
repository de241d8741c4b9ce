#include "server/rpc/grpc_buffers.h"

#include <string>
#include <vector>

#include "grpcpp/support/slice.h"
#include "server/rpc/request_parser.h"

namespace glossa::server {

absl::Status ParseByteBuffer(const grpc::ByteBuffer& buffer,
                             google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) {
    return absl::InvalidArgumentError("the request could not be read");
  }
  std::string bytes;
  bytes.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return ParseRequest(bytes, message);
}

void SerializeToByteBuffer(const google::protobuf::Message& message,
                           grpc::ByteBuffer* buffer) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(std::move(bytes));
  grpc::ByteBuffer(&slice, 1).Swap(buffer);
}

}  // namespace glossa::server
