#ifndef GLOSSA_SERVER_GRPC_SERVER_H_
#define GLOSSA_SERVER_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace glossa::server {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  int port = 50051;  // 0 picks a free port
  // Largest request or response message. Larger requests are refused by
  // gRPC with RESOURCE_EXHAUSTED before they reach the service.
  int max_message_bytes = 4 << 20;
  // HTTP/2 streams (calls) in flight per client connection; 0 = gRPC's
  // default (unlimited).
  int max_concurrent_streams = 0;
  // Largest metadata of one call, enforced by the service (CallEnvironment)
  // so that a call over it fails alone. gRPC 1.51 closes the whole
  // connection (every call on it) when a header block exceeds the
  // transport's limit, so that limit is set kTransportMetadataFactor times
  // higher: only a block above it still costs the connection, and a public
  // deployment should cap headers in front of the server (server/README.md).
  int max_metadata_bytes = 16 << 10;
  static constexpr int kTransportMetadataFactor = 16;
  // PEM files. cert + key enable TLS; client_ca also requires and verifies
  // client certificates (mutual TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // A certificate outside its validity period stops the server instead of
  // only being warned about.
  bool tls_require_valid_cert = false;
};

// The gRPC server around a service: listening port, TLS, message limits,
// the standard health service (grpc.health.v1.Health, NOT_SERVING until
// SetServing(true)) and server reflection.
class GrpcServer {
 public:
  // `service` must outlive the server.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, grpc::Service* service,
      const std::string& service_name);
  ~GrpcServer();

  int port() const { return port_; }
  // What is doubtful but not fatal in the TLS files (an expired
  // certificate); "" when nothing is.
  const std::string& tls_warning() const { return tls_warning_; }
  // Health of "" (the whole server) and of the named service; false also
  // sets every other service (each model's) NOT_SERVING.
  void SetServing(bool serving);
  // Health of one more service name (a model's: clients may check a model
  // by its name).
  void SetServiceServing(const std::string& name, bool serving);
  // Health stays NOT_SERVING from now on; the server stops after in-flight
  // calls end or at `deadline`, whichever comes first.
  void Shutdown(absl::Time deadline);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port,
             std::string service_name);
  std::unique_ptr<grpc::Server> server_;
  const int port_;
  const std::string service_name_;
  std::string tls_warning_;
  bool shut_down_ = false;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_GRPC_SERVER_H_
