#include "client/channel.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "client/client_flags.h"

namespace glossa::client {
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannelFromFlags(int index) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // Separate connections for separate bench channels.
  args.SetInt("glossa.channel_index", index);
  const std::string lb_policy = absl::GetFlag(FLAGS_lb_policy);
  if (!lb_policy.empty()) {
    if (lb_policy != "pick_first" && lb_policy != "round_robin") {
      return absl::InvalidArgumentError(
          absl::StrCat("--lb_policy must be pick_first or round_robin, got \"",
                       lb_policy, "\""));
    }
    args.SetLoadBalancingPolicyName(lb_policy);
  }

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  const bool tls = absl::GetFlag(FLAGS_tls) ||
                   !absl::GetFlag(FLAGS_tls_ca).empty() ||
                   !absl::GetFlag(FLAGS_tls_cert).empty();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!absl::GetFlag(FLAGS_tls_ca).empty()) {
      absl::StatusOr<std::string> ca =
          base::ReadFlagFile(absl::GetFlag(FLAGS_tls_ca), "tls_ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (absl::GetFlag(FLAGS_tls_cert).empty() !=
        absl::GetFlag(FLAGS_tls_key).empty()) {
      return absl::InvalidArgumentError(
          "--tls_cert and --tls_key must be given together");
    }
    if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
      absl::StatusOr<std::string> cert =
          base::ReadFlagFile(absl::GetFlag(FLAGS_tls_cert), "tls_cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key =
          base::ReadFlagFile(absl::GetFlag(FLAGS_tls_key), "tls_key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    if (!absl::GetFlag(FLAGS_tls_server_name).empty()) {
      args.SetSslTargetNameOverride(absl::GetFlag(FLAGS_tls_server_name));
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), credentials,
                                   args);
}

std::unique_ptr<grpc::ClientContext> MakeContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  const absl::Duration deadline = absl::GetFlag(FLAGS_deadline);
  if (deadline > absl::ZeroDuration() && deadline != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  const std::string key = absl::GetFlag(FLAGS_api_key);
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  return context;
}

std::string StatusCodeName(grpc::StatusCode code) {
  // gRPC's codes are absl's canonical codes, number for number.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace glossa::client
