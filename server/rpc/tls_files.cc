#include "server/rpc/tls_files.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"

namespace glossa::server {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> Memory(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::unique_ptr<X509, X509Free> FirstCertificate(const std::string& pem) {
  auto bio = Memory(pem);
  return std::unique_ptr<X509, X509Free>(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string TimeText(const ASN1_TIME* time) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size);
}

}  // namespace

absl::StatusOr<std::string> CheckTlsFiles(const TlsFiles& files, absl::Time now,
                                          bool require_valid) {
  auto cert = FirstCertificate(files.cert_pem);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_cert: ", files.cert_path, " holds no PEM certificate"));
  }
  auto key_bio = Memory(files.key_pem);
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key: ", files.key_path,
                     " holds no PEM private key (or one with a passphrase)"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key: ", files.key_path,
        " is not the key of the certificate in --tls_cert ", files.cert_path));
  }
  if (!files.ca_path.empty() && FirstCertificate(files.ca_pem) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_client_ca: ", files.ca_path, " holds no PEM certificate"));
  }
  time_t at = absl::ToTimeT(now);
  std::string problem;
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &at) < 0) {
    problem =
        absl::StrCat("expired on ", TimeText(X509_get0_notAfter(cert.get())));
  } else if (X509_cmp_time(X509_get0_notBefore(cert.get()), &at) > 0) {
    problem = absl::StrCat("is not valid before ",
                           TimeText(X509_get0_notBefore(cert.get())));
  }
  if (problem.empty()) return std::string();
  const std::string message = absl::StrCat(
      "--tls_cert: the certificate in ", files.cert_path, " ", problem,
      "; clients that check it will refuse the connection");
  if (require_valid) return absl::InvalidArgumentError(message);
  return message;
}

}  // namespace glossa::server
