#ifndef GLOSSA_CLIENT_CHANNEL_H_
#define GLOSSA_CLIENT_CHANNEL_H_

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace glossa::client {

// A channel to --server with the TLS and load-balancing flags applied.
// `index` gives each channel of a bench its own connection.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannelFromFlags(
    int index = 0);

// "INVALID_ARGUMENT", "UNAVAILABLE", ...
std::string StatusCodeName(grpc::StatusCode code);

// A call context carrying --deadline.
std::unique_ptr<grpc::ClientContext> MakeContext();

}  // namespace glossa::client

#endif  // GLOSSA_CLIENT_CHANNEL_H_
