#ifndef GLOSSA_SERVER_RPC_TLS_FILES_H_
#define GLOSSA_SERVER_RPC_TLS_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace glossa::server {

// What is wrong with TLS files, said before gRPC is given them: gRPC only
// answers "cannot listen" for a key that does not fit its certificate, and
// accepts an expired certificate silently.
struct TlsFiles {
  std::string cert_path, cert_pem;  // --tls_cert: the chain, leaf first
  std::string key_path, key_pem;    // --tls_key
  std::string ca_path, ca_pem;      // --tls_client_ca, may be empty
};

// InvalidArgument naming the flag, the file and the cause when a file holds
// no PEM certificate / key or the key does not belong to the certificate.
// A leaf certificate outside its validity period (at `now`) is refused when
// `require_valid` and otherwise returned as a warning; "" when all is well.
absl::StatusOr<std::string> CheckTlsFiles(const TlsFiles& files, absl::Time now,
                                          bool require_valid);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_TLS_FILES_H_
