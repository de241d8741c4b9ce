#ifndef GLOSSA_SERVER_RPC_DEADLINE_H_
#define GLOSSA_SERVER_RPC_DEADLINE_H_

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace glossa::server {

// The call's deadline as an absl::Time (InfiniteFuture when none).
absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_DEADLINE_H_
