#include "server/rpc/grpc_server.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/rpc/tls_files.h"

namespace glossa::server {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const GrpcServerOptions& options, std::string* warning) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key must be given together");
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.private_key,
                   base::ReadFlagFile(options.tls_key_file, "tls_key"));
  ASSIGN_OR_RETURN(pair.cert_chain,
                   base::ReadFlagFile(options.tls_cert_file, "tls_cert"));
  if (!options.tls_client_ca_file.empty()) {
    ASSIGN_OR_RETURN(
        ssl.pem_root_certs,
        base::ReadFlagFile(options.tls_client_ca_file, "tls_client_ca"));
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  ASSIGN_OR_RETURN(
      *warning, CheckTlsFiles({options.tls_cert_file, pair.cert_chain,
                               options.tls_key_file, pair.private_key,
                               options.tls_client_ca_file, ssl.pem_root_certs},
                              absl::Now(), options.tls_require_valid_cert));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(ssl);
}

std::string HostPort(const std::string& host, int port) {
  if (absl::StrContains(host, ':') && !absl::StartsWith(host, "[")) {
    return absl::StrCat("[", host, "]:", port);  // IPv6 literal
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, grpc::Service* service,
    const std::string& service_name) {
  std::string tls_warning;
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   MakeCredentials(options, &tls_warning));
  grpc::EnableDefaultHealthCheckService(true);
  // Without this call the linker drops the reflection plugin silently.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  const std::string address = HostPort(options.host, options.port);
  builder.AddListeningPort(address, credentials, &port);
  builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  if (options.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               options.max_concurrent_streams);
  }
  builder.AddChannelArgument(
      GRPC_ARG_MAX_METADATA_SIZE,
      options.max_metadata_bytes * GrpcServerOptions::kTransportMetadataFactor);
  // A second server on a busy port must fail, not share it silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", address));
  }
  auto wrapped = std::unique_ptr<GrpcServer>(
      new GrpcServer(std::move(server), port, service_name));
  wrapped->tls_warning_ = std::move(tls_warning);
  wrapped->SetServing(false);
  return wrapped;
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, int port,
                       std::string service_name)
    : server_(std::move(server)),
      port_(port),
      service_name_(std::move(service_name)) {}

GrpcServer::~GrpcServer() {
  if (!shut_down_) Shutdown(absl::Now());
}

void GrpcServer::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(service_name_, serving);
  health->SetServingStatus("", serving);
  // Going down, every service (each model's too) says NOT_SERVING.
  if (!serving) health->SetServingStatus(false);
}

void GrpcServer::SetServiceServing(const std::string& name, bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) health->SetServingStatus(name, serving);
}

void GrpcServer::Shutdown(absl::Time deadline) {
  shut_down_ = true;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) health->Shutdown();
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
}

}  // namespace glossa::server
