#ifndef GLOSSA_SERVER_GRPC_STATUS_H_
#define GLOSSA_SERVER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace glossa::server {

// The one place where absl::Status becomes grpc::Status: same canonical
// code (the numbering is shared), same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_GRPC_STATUS_H_
