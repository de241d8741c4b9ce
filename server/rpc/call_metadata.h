#ifndef GLOSSA_SERVER_RPC_CALL_METADATA_H_
#define GLOSSA_SERVER_RPC_CALL_METADATA_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "server/calls/call_environment.h"

namespace glossa::server {

// CallEnvironment::Authorize for a gRPC call: its `authorization` metadata,
// and all its metadata counted against --max_metadata_bytes.
absl::Status AuthorizeCall(const CallEnvironment& environment,
                           const grpc::CallbackServerContext& context,
                           std::string* caller);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_CALL_METADATA_H_
