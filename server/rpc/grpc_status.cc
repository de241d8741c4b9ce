#include "server/rpc/grpc_status.h"

#include <string>

namespace glossa::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  // absl and gRPC share codes 0..16; anything else is not canonical.
  const grpc::StatusCode grpc_code = code > 0 && code <= 16
                                         ? static_cast<grpc::StatusCode>(code)
                                         : grpc::StatusCode::UNKNOWN;
  return grpc::Status(grpc_code, std::string(status.message()));
}

}  // namespace glossa::server
